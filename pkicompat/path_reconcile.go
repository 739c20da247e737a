package pkicompat

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// config/reconcile, reconcile and reconcile-status: this engine's own paths (native PKI has no
// CA whose answers can be lost). config/reconcile is a path of its own rather than fields of
// config/auto-tidy, whose schema and answers are native's and compared with native's.
func (b *backend) reconcilePaths() []*framework.Path {
	return []*framework.Path{
		{
			Pattern: "config/reconcile",
			Fields: map[string]*framework.FieldSchema{
				"orphan_policy": {Type: framework.TypeString, Description: `What to do with a certificate the CA issued but Vault never delivered: "revoke" (at the CA, as superseded), "record" (store it as if delivered) or "report" (log and count). Empty or "default": revoke for issue/, record for sign/.`},
				"grace_period":  {Type: framework.TypeDurationSecond, Default: int(defaultReconcileGrace.Seconds()), Description: "How old an unsettled issuance must be before the CA is asked about it."},
			},
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationSuffix: "reconcile-configuration"},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ReadOperation:   &framework.PathOperation{Callback: b.pathReconcileConfigRead},
				logical.UpdateOperation: &framework.PathOperation{Callback: b.pathReconcileConfigWrite},
			},
			HelpSynopsis:    "Settings for settling issuances whose outcome Vault never learned.",
			HelpDescription: "Before asking the CA to sign, the engine notes the request; notes left unsettled (timeouts, a killed plugin, a lost leader) are resolved against the CA after grace_period, with orphan_policy deciding what happens to a certificate nobody received.",
		},
		{
			Pattern:      "reconcile$",
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationVerb: "reconcile"},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.UpdateOperation: &framework.PathOperation{Callback: b.pathReconcileRun},
			},
			HelpSynopsis:    "Run a reconciliation pass now.",
			HelpDescription: "Settles every unsettled issuance older than the grace period against the CA and answers with what the pass did. The periodic function runs the same pass about once a minute on the active node.",
		},
		{
			Pattern:      "reconcile-status$",
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationSuffix: "reconcile-status"},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ReadOperation: &framework.PathOperation{Callback: b.pathReconcileStatus},
			},
			HelpSynopsis:    "Counters of reconciliation, in the spirit of tidy-status.",
			HelpDescription: "intents_pending is the number of issuances not settled yet; the totals count certificates recorded, revoked and reported, intents closed because the CA issued nothing, and errors.",
		},
	}
}

func reconcileConfigData(c *reconcileConfig) map[string]interface{} {
	return map[string]interface{}{
		"orphan_policy":       c.OrphanPolicy,
		"issue_orphan_policy": c.policyFor(intentModeIssue),
		"sign_orphan_policy":  c.policyFor(intentModeSign),
		"grace_period":        int64(c.GracePeriod.Seconds()),
	}
}

func (b *backend) pathReconcileConfigRead(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	conf, err := loadReconcileConfig(ctx, req.Storage)
	if err != nil {
		return respond(err)
	}
	return &logical.Response{Data: reconcileConfigData(conf)}, nil
}

func (b *backend) pathReconcileConfigWrite(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	conf, err := loadReconcileConfig(ctx, req.Storage)
	if err != nil {
		return respond(err)
	}
	if v, ok := d.GetOk("orphan_policy"); ok {
		switch p := v.(string); p {
		case "", "default":
			conf.OrphanPolicy = ""
		case orphanRevoke, orphanRecord, orphanReport:
			conf.OrphanPolicy = p
		default:
			return logical.ErrorResponse(fmt.Sprintf(`orphan_policy must be "revoke", "record", "report" or "default", not %q`, p)), nil
		}
	}
	if v, ok := d.GetOk("grace_period"); ok {
		grace := time.Duration(v.(int)) * time.Second
		if grace <= 0 {
			return logical.ErrorResponse("grace_period must be a positive duration"), nil
		}
		conf.GracePeriod = grace
	}
	if err := putJSON(ctx, req.Storage, reconcileConfigKey, reconcileConfigKey, conf); err != nil {
		return respond(err)
	}
	return &logical.Response{Data: reconcileConfigData(conf)}, nil
}

func (b *backend) pathReconcileRun(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	if b.readOnlyNode() {
		return logical.ErrorResponse("reconcile runs on the node that writes (the active node of the primary cluster)"), nil
	}
	status, err := b.reconcile(ctx, req.Storage)
	if err != nil {
		return respond(err)
	}
	data := status.LastRun.data()
	data["intents_pending"] = status.LastPending
	resp := &logical.Response{Data: data}
	if status.LastError != "" {
		resp.AddWarning(status.LastError)
	}
	return resp, nil
}

func (b *backend) pathReconcileStatus(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	status, err := loadReconcileStatus(ctx, req.Storage)
	if err != nil {
		return respond(err)
	}
	b.waitForSettles()
	ids, err := req.Storage.List(ctx, intentStoragePrefix)
	if err != nil {
		return respond(fmt.Errorf("listing issuance intents: %w", err))
	}
	data := status.Totals.data()
	data["intents_pending"] = len(ids)
	data["last_run"] = status.LastRun.data()
	data["last_run_pending"] = status.LastPending
	data["last_run_started"] = timeOrEmpty(status.LastStarted)
	data["last_run_finished"] = timeOrEmpty(status.LastFinished)
	data["last_run_error"] = status.LastError
	return &logical.Response{Data: data}, nil
}

func timeOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
