package pkicompat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-secure-stdlib/parseutil"
	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// Native's texts, word for word: scripts and people grep for them.
const (
	tidyStartedWarning   = "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs."
	tidyNoneWarning      = "Manual tidy requested but no tidy operations were set. Enable at least one tidy operation to be run (" + tidyOperationList + ")."
	tidyOperationList    = "tidy_cert_store / tidy_revoked_certs / tidy_revoked_cert_issuer_associations / tidy_expired_issuers / tidy_move_legacy_ca_bundle / tidy_acme / tidy_cross_cluster_revoked_certs / tidy_revocation_queue / tidy_cert_metadata / tidy_cmpv2_nonce_store"
	tidyRunningWarning   = "Tidy operation already in progress."
	tidyNoCancelWarning  = "Tidy operation cannot be cancelled as none is currently running."
	tidyMetadataRefusal  = "certificate metadata is only supported on Vault Enterprise"
	tidyNothingHeldIntro = "this engine holds no "
)

func (b *backend) tidyPaths() []*framework.Path {
	t := b.tidy
	return []*framework.Path{
		{
			Pattern:      "tidy$",
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationVerb: "tidy"},
			Fields:       tidyFields(),
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.UpdateOperation: &framework.PathOperation{
					Callback:                  t.handleTidy,
					ForwardPerformanceStandby: true,
				},
			},
			HelpSynopsis:    "Remove expired certificate records from this mount's storage.",
			HelpDescription: tidyHelp,
		},
		{
			Pattern:      "tidy-status$",
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationVerb: "tidy", OperationSuffix: "status"},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ReadOperation: &framework.PathOperation{
					Callback:                  t.handleStatus,
					Responses:                 nativeOK("pki-tidy-status"),
					ForwardPerformanceStandby: true,
				},
			},
			HelpSynopsis:    "Status of the running or most recent tidy operation.",
			HelpDescription: "Returns the parameters, state, counts and times of the current or last tidy, with native PKI's keys.",
		},
		{
			Pattern:      "tidy-cancel$",
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationVerb: "tidy", OperationSuffix: "cancel"},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.UpdateOperation: &framework.PathOperation{
					Callback:                  t.handleCancel,
					Responses:                 nativeOK("pki-tidy-cancel"),
					ForwardPerformanceStandby: true,
				},
			},
			HelpSynopsis:    "Cancel the running tidy operation.",
			HelpDescription: "Asks the running tidy to stop before its next certificate and returns its status.",
		},
		autoTidyPath(),
	}
}

const tidyHelp = `Removes certificate records (certs/) and revocation markers (revoked/) of certificates that
expired more than safety_buffer ago: tidy_cert_store for all records, tidy_revoked_certs for revoked
ones. The CA keeps its own issuers, CRLs and revocations; operations about those are accepted and
named in a warning. The tidy runs in the background; read tidy-status to follow it.`

// tidyFields is native's tidy schema: same names, types and defaults.
func tidyFields() map[string]*framework.FieldSchema {
	fields := map[string]*framework.FieldSchema{
		"tidy_revocation_list": {
			Type: framework.TypeBool, Description: "Deprecated; synonym for 'tidy_revoked_certs'.",
		},
		"safety_buffer": {
			Type: framework.TypeDurationSecond, Default: int(defaultTidySafetyBuffer / time.Second),
			Description: "How long after expiry a record is kept. Defaults to 72 hours.",
		},
		"issuer_safety_buffer": {
			Type: framework.TypeDurationSecond, Default: int(defaultTidyIssuerSafetyBuffer / time.Second),
			Description: "Accepted for compatibility; issuers are the CA's.",
		},
		"revocation_queue_safety_buffer": {
			Type: framework.TypeDurationSecond, Default: int(defaultTidyQueueSafetyBuffer / time.Second),
			Description: "Accepted for compatibility; there is no revocation queue.",
		},
		"acme_account_safety_buffer": {
			Type: framework.TypeDurationSecond, Default: int(defaultTidyAcmeSafetyBuffer / time.Second),
			Description: "Accepted for compatibility; there are no ACME accounts.",
		},
		"pause_duration": {
			Type: framework.TypeString, Default: "0s",
			Description: "Time to wait between two certificates, to spread the storage load.",
		},
	}
	for _, f := range tidyFlags {
		description := f.description
		if f.notHeld != "" {
			description = "Accepted for compatibility; this engine holds no " + f.notHeld + "."
		}
		fields[f.name] = &framework.FieldSchema{Type: framework.TypeBool, Default: false, Description: description}
	}
	fields["tidy_pending_requests"] = &framework.FieldSchema{
		Type: framework.TypeBool, Default: false,
		Description: "Not native: remove requests held for approval in the CA (pending/), and the keys kept for them, once their role's pending_ttl has passed. tidy_cert_store does this too.",
	}
	fields["tidy_legacy_backup"] = &framework.FieldSchema{
		Type: framework.TypeBool, Default: false,
		Description: "Not native: remove the copy of Keyfactor's older plugin's entries kept by the upgrade (legacy-backup/); rolling back is no longer possible afterwards.",
	}
	return fields
}

// parseTidyRequest reads and checks the request as native does, with native's error texts.
func parseTidyRequest(d *framework.FieldData) (*tidyConfig, error) {
	r := &tidyConfig{
		SafetyBuffer:       time.Duration(d.Get("safety_buffer").(int)) * time.Second,
		IssuerSafetyBuffer: time.Duration(d.Get("issuer_safety_buffer").(int)) * time.Second,
		QueueSafetyBuffer:  time.Duration(d.Get("revocation_queue_safety_buffer").(int)) * time.Second,
		AcmeSafetyBuffer:   time.Duration(d.Get("acme_account_safety_buffer").(int)) * time.Second,
	}
	for _, f := range tidyFlags {
		*f.of(r) = d.Get(f.name).(bool)
	}
	r.RevokedCerts = r.RevokedCerts || d.Get("tidy_revocation_list").(bool)
	r.LegacyBackup = d.Get("tidy_legacy_backup").(bool)
	r.PendingRequests = d.Get("tidy_pending_requests").(bool)
	for _, b := range []struct {
		name string
		val  time.Duration
	}{
		{"safety_buffer", r.SafetyBuffer},
		{"issuer_safety_buffer", r.IssuerSafetyBuffer},
		{"revocation_queue_safety_buffer", r.QueueSafetyBuffer},
		{"acme_account_safety_buffer", r.AcmeSafetyBuffer},
	} {
		if b.val < time.Second {
			return nil, Invalid("%s must be greater than zero", b.name)
		}
	}
	if s := d.Get("pause_duration").(string); s != "" {
		pause, err := parseutil.ParseDurationSecond(s)
		if err != nil {
			return nil, Invalid("Error parsing pause_duration: %v", err)
		}
		if pause < 0 {
			return nil, Invalid("received invalid, negative pause_duration")
		}
		r.PauseDuration = pause
	}
	if r.CertMetadata {
		return nil, Invalid("%s", tidyMetadataRefusal)
	}
	return r, nil
}

func (t *tidyRunner) handleTidy(_ context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	params, err := parseTidyRequest(d)
	if err != nil {
		return respond(err)
	}
	if !t.start(params, req.Storage) {
		resp := &logical.Response{}
		resp.AddWarning(tidyRunningWarning)
		return resp, nil
	}
	resp := &logical.Response{}
	if params.anyEnabled() {
		resp.AddWarning(tidyStartedWarning)
	} else {
		resp.AddWarning(tidyNoneWarning)
	}
	if ignored := params.ignoredFlags(); len(ignored) > 0 {
		resp.AddWarning(fmt.Sprintf("%sissuers, CRLs, legacy CA bundle, revocation queue, ACME or CMPv2 state (the CA keeps issuers, CRLs and revocations), "+
			"so these tidy operations had nothing to do: %s", tidyNothingHeldIntro, strings.Join(ignored, ", ")))
	}
	// Native answers 202 with the warnings in a JSON body; the request id is empty there too.
	return logical.RespondWithStatusCode(resp, nil, http.StatusAccepted)
}

func (t *tidyRunner) handleCancel(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	t.mu.Lock()
	if !t.running {
		t.mu.Unlock()
		resp := &logical.Response{}
		resp.AddWarning(tidyNoCancelWarning)
		return resp, nil
	}
	if t.state == tidyRunning {
		t.state = tidyCancelling
		close(t.cancel)
	}
	t.mu.Unlock()
	return t.handleStatus(ctx, req, d)
}

// handleStatus answers with native's keys and JSON types: every key present, null where native
// has no value (all parameters and counts while nothing has run).
func (t *tidyRunner) handleStatus(context.Context, *logical.Request, *framework.FieldData) (*logical.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data := map[string]interface{}{
		"state":                   string(tidyInactive),
		"last_auto_tidy_finished": t.lastRun,
		"internal_backend_uuid":   t.backendID,
	}
	for _, k := range tidyStatusKeys {
		data[k] = nil
	}
	if t.state == tidyInactive {
		return &logical.Response{Data: data}, nil
	}
	p := t.params
	data["safety_buffer"] = int(p.SafetyBuffer / time.Second)
	data["issuer_safety_buffer"] = int(p.IssuerSafetyBuffer / time.Second)
	data["revocation_queue_safety_buffer"] = int(p.QueueSafetyBuffer / time.Second)
	data["acme_account_safety_buffer"] = int(p.AcmeSafetyBuffer / time.Second)
	for _, f := range tidyFlags {
		data[f.name] = *f.of(&p)
	}
	data["pause_duration"] = p.PauseDuration.String()
	data["time_started"] = t.started
	data["message"] = t.message
	data["cert_store_deleted_count"] = t.certsDeleted
	data["revoked_cert_deleted_count"] = t.revokedDeleted
	// Counts of things this engine does not hold: always zero, as native reports them.
	for _, k := range []string{"missing_issuer_cert_count", "revocation_queue_deleted_count", "cross_revoked_cert_deleted_count",
		"total_acme_account_count", "acme_account_deleted_count", "acme_account_revoked_count", "acme_orders_deleted_count",
		"cert_metadata_deleted_count", "cmpv2_nonce_deleted_count"} {
		data[k] = uint(0)
	}
	data["state"] = string(t.state)
	switch t.state {
	case tidyFinished:
		data["time_finished"] = t.finished
		data["message"] = nil
	case tidyError:
		data["time_finished"] = t.finished
		if t.err != nil {
			data["error"] = t.err.Error()
		}
	case tidyCancelled:
		data["time_finished"] = t.finished
	}
	return &logical.Response{Data: data}, nil
}

// tidyStatusKeys are the keys native's tidy-status always answers (null until a tidy ran),
// besides state, last_auto_tidy_finished and internal_backend_uuid. revocation_queue_safety_buffer
// is not among them: native adds it only once a tidy ran.
var tidyStatusKeys = []string{
	"safety_buffer", "issuer_safety_buffer", "tidy_cert_store", "tidy_revoked_certs",
	"tidy_revoked_cert_issuer_associations", "tidy_expired_issuers", "tidy_move_legacy_ca_bundle",
	"tidy_revocation_queue", "tidy_cross_cluster_revoked_certs", "tidy_acme", "tidy_cert_metadata",
	"tidy_cmpv2_nonce_store", "pause_duration", "error", "time_started", "time_finished", "message",
	"cert_store_deleted_count", "revoked_cert_deleted_count", "missing_issuer_cert_count",
	"current_cert_store_count", "current_revoked_cert_count", "revocation_queue_deleted_count",
	"cross_revoked_cert_deleted_count", "total_acme_account_count", "acme_account_deleted_count",
	"acme_account_revoked_count", "acme_orders_deleted_count", "acme_account_safety_buffer",
	"cert_metadata_deleted_count", "cmpv2_nonce_deleted_count",
}

// autoTidyData is native's auto-tidy answer (getTidyConfigData): durations in seconds, pause as
// a Go duration.
func autoTidyData(c *tidyConfig) map[string]interface{} {
	data := map[string]interface{}{
		"enabled":                                  c.Enabled,
		"interval_duration":                        int(c.Interval / time.Second),
		"min_startup_backoff_duration":             int(c.MinStartupBackoff / time.Second),
		"max_startup_backoff_duration":             int(c.MaxStartupBackoff / time.Second),
		"safety_buffer":                            int(c.SafetyBuffer / time.Second),
		"issuer_safety_buffer":                     int(c.IssuerSafetyBuffer / time.Second),
		"acme_account_safety_buffer":               int(c.AcmeSafetyBuffer / time.Second),
		"revocation_queue_safety_buffer":           int(c.QueueSafetyBuffer / time.Second),
		"pause_duration":                           c.PauseDuration.String(),
		"publish_stored_certificate_count_metrics": c.PublishMetrics,
		"maintain_stored_certificate_counts":       c.MaintainCount,
	}
	for _, f := range tidyFlags {
		data[f.name] = *f.of(c)
	}
	return data
}

func autoTidyPath() *framework.Path {
	fields := tidyFields()
	fields["enabled"] = &framework.FieldSchema{Type: framework.TypeBool, Description: "Set to true to enable automatic tidy operations."}
	fields["interval_duration"] = &framework.FieldSchema{
		Type: framework.TypeDurationSecond, Default: int(12 * time.Hour / time.Second),
		Description: "Time between two automatic tidies.",
	}
	fields["min_startup_backoff_duration"] = &framework.FieldSchema{
		Type: framework.TypeDurationSecond, Default: int(5 * time.Minute / time.Second),
		Description: "Minimum delay of the first automatic tidy after startup.",
	}
	fields["max_startup_backoff_duration"] = &framework.FieldSchema{
		Type: framework.TypeDurationSecond, Default: int(15 * time.Minute / time.Second),
		Description: "Maximum delay of the first automatic tidy after startup.",
	}
	fields["maintain_stored_certificate_counts"] = &framework.FieldSchema{
		Type: framework.TypeBool, Default: false, Description: "Accepted for compatibility; no running count is kept.",
	}
	fields["publish_stored_certificate_count_metrics"] = &framework.FieldSchema{
		Type: framework.TypeBool, Default: false, Description: "Accepted for compatibility; no count metric is published.",
	}
	return &framework.Path{
		Pattern:      "config/auto-tidy",
		Fields:       fields,
		DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki"},
		Operations: map[logical.Operation]framework.OperationHandler{
			logical.ReadOperation: &framework.PathOperation{
				Callback:     readAutoTidy,
				DisplayAttrs: &framework.DisplayAttributes{OperationSuffix: "auto-tidy-configuration"},
				Responses:    nativeOK("pki-read-auto-tidy-configuration"),
			},
			logical.UpdateOperation: &framework.PathOperation{
				Callback:                    writeAutoTidy,
				DisplayAttrs:                &framework.DisplayAttributes{OperationVerb: "configure", OperationSuffix: "auto-tidy"},
				Responses:                   nativeOK("pki-configure-auto-tidy"),
				ForwardPerformanceStandby:   true,
				ForwardPerformanceSecondary: true,
			},
		},
		HelpSynopsis: "Native PKI's automatic tidy configuration.",
		HelpDescription: "Takes tidy's parameters plus enabled and interval_duration. When enabled, the mount's periodic " +
			"function starts the configured tidy once interval_duration has passed since the mount started or since the last tidy, " +
			"as native does; operations about things the CA holds have nothing to do here, as on tidy.",
	}
}

func loadAutoTidyConfig(ctx context.Context, s logical.Storage) (*tidyConfig, error) {
	conf := defaultTidyConfig()
	if _, err := getJSONInto(ctx, s, autoTidyStorageKey, "the auto-tidy configuration", conf); err != nil {
		return nil, err
	}
	return conf, nil
}

func readAutoTidy(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	conf, err := loadAutoTidyConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: autoTidyData(conf)}, nil
}

// writeAutoTidy changes only the fields the request names, with native's checks and texts.
func writeAutoTidy(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	conf, err := loadAutoTidyConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	if raw, ok := d.GetOk("enabled"); ok {
		conf.Enabled = raw.(bool)
	}
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{
		{"min_startup_backoff_duration", &conf.MinStartupBackoff},
		{"max_startup_backoff_duration", &conf.MaxStartupBackoff},
	} {
		if raw, ok := d.GetOk(f.name); ok {
			v := time.Duration(raw.(int)) * time.Second
			if v < time.Second {
				return logical.ErrorResponse(fmt.Sprintf("%s must be at least 1 second: parsed: %v", f.name, v)), nil
			}
			*f.dst = v
		}
	}
	if conf.MinStartupBackoff > conf.MaxStartupBackoff {
		return logical.ErrorResponse(fmt.Sprintf("max_startup_backoff_duration %v must be greater or equal to min_startup_backoff_duration %v",
			conf.MaxStartupBackoff, conf.MinStartupBackoff)), nil
	}
	if raw, ok := d.GetOk("interval_duration"); ok {
		conf.Interval = time.Duration(raw.(int)) * time.Second
		if conf.Interval < 0 {
			return logical.ErrorResponse(fmt.Sprintf("given interval_duration must be greater than or equal to zero seconds; got: %v", raw)), nil
		}
	}
	for _, f := range tidyFlags {
		if raw, ok := d.GetOk(f.name); ok {
			*f.of(conf) = raw.(bool)
		}
	}
	if raw, ok := d.GetOk("maintain_stored_certificate_counts"); ok {
		conf.MaintainCount = raw.(bool)
	}
	if raw, ok := d.GetOk("publish_stored_certificate_count_metrics"); ok {
		conf.PublishMetrics = raw.(bool)
	}
	for _, f := range []struct {
		name, label string
		dst         *time.Duration
	}{
		// Native names safety_buffer in the issuer_safety_buffer error too; kept word for word.
		{"safety_buffer", "safety_buffer", &conf.SafetyBuffer},
		{"issuer_safety_buffer", "safety_buffer", &conf.IssuerSafetyBuffer},
		{"revocation_queue_safety_buffer", "revocation_queue_safety_buffer", &conf.QueueSafetyBuffer},
		{"acme_account_safety_buffer", "acme_account_safety_buffer", &conf.AcmeSafetyBuffer},
	} {
		if raw, ok := d.GetOk(f.name); ok {
			*f.dst = time.Duration(raw.(int)) * time.Second
			if *f.dst < time.Second {
				return logical.ErrorResponse(fmt.Sprintf("given %s must be at least one second; got: %v", f.label, raw)), nil
			}
		}
	}
	if raw, ok := d.GetOk("pause_duration"); ok {
		pause, err := parseutil.ParseDurationSecond(raw.(string))
		if err != nil {
			return logical.ErrorResponse(fmt.Sprintf("unable to parse given pause_duration: %v", err)), nil
		}
		if pause < 0 {
			return logical.ErrorResponse("received invalid, negative pause_duration"), nil
		}
		conf.PauseDuration = pause
	}
	if conf.CertMetadata {
		return logical.ErrorResponse(tidyMetadataRefusal), nil
	}
	if conf.CMPV2NonceStore {
		return logical.ErrorResponse("CMPv2 is only supported on Vault Enterprise"), nil
	}
	if conf.Enabled && !conf.anyEnabled() {
		return logical.ErrorResponse("Auto-tidy enabled but no tidy operations were requested. Enable at least one tidy operation to be run (" +
			tidyOperationList + ")."), nil
	}
	if conf.PublishMetrics && !conf.MaintainCount {
		return logical.ErrorResponse("Can not publish a running storage metrics count to metrics without first maintaining that count.  Enable `maintain_stored_certificate_counts` to enable `publish_stored_certificate_count_metrics`."), nil
	}
	if err := putJSON(ctx, req.Storage, autoTidyStorageKey, "the auto-tidy configuration", conf); err != nil {
		return nil, err
	}
	return &logical.Response{Data: autoTidyData(conf)}, nil
}
