package pkicompat

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// pending/ and pending/<request id>: the requests the CA holds for approval that this mount
// remembers (pending.go). This engine's own paths: native PKI never waits for an approver.
func (b *backend) pendingPaths() []*framework.Path {
	return []*framework.Path{
		{
			Pattern:      "pending/?$",
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationSuffix: "pending-requests"},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ListOperation: &framework.PathOperation{Callback: b.pathPendingList},
			},
			HelpSynopsis:    "List the certificate requests the CA holds for approval that Vault remembers.",
			HelpDescription: "Keys are the CA's request ids; key_info gives each one's role, common name, requester and age.",
		},
		{
			Pattern: "pending/" + framework.GenericNameRegex("request_id"),
			Fields: map[string]*framework.FieldSchema{
				"request_id": {Type: framework.TypeString, Description: "The CA's id of the held request."},
				"deny":       {Type: framework.TypeBool, Description: "On delete, also deny the request in the CA, taking it out of the approvers' queue."},
				"comment":    {Type: framework.TypeString, Description: "On delete with deny=true, the denial's comment in the CA."},
			},
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationSuffix: "pending-request"},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ReadOperation:   &framework.PathOperation{Callback: b.pathPendingRead},
				logical.DeleteOperation: &framework.PathOperation{Callback: b.pathPendingDelete},
			},
			HelpSynopsis: "Read or forget one request the CA holds for approval.",
			HelpDescription: "A read asks the CA for the request's state and answers it with who asked and how long ago (and the certificate once issued; the caller's retry receives it with its key). " +
				"A delete forgets the request and the key kept for it; deny=true also denies it in the CA.",
		},
	}
}

func (b *backend) pathPendingList(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	ids, err := req.Storage.List(ctx, pendingRecordPrefix)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	info := make(map[string]interface{}, len(ids))
	for _, id := range ids {
		rec, err := getPending(ctx, req.Storage, id)
		if err != nil || rec == nil {
			continue
		}
		info[id] = map[string]interface{}{
			"role":         rec.Role,
			"common_name":  rec.CommonName,
			"entity_id":    rec.EntityID,
			"age_seconds":  int64(now.Sub(rec.RequestedAt).Seconds()),
			"requested_at": rec.RequestedAt.Format(time.RFC3339),
		}
	}
	return logical.ListResponseWithInfo(ids, info), nil
}

func (b *backend) pathPendingRead(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	rec, err := getPending(ctx, req.Storage, d.Get("request_id").(string))
	if err != nil {
		return respond(err)
	}
	if rec == nil {
		return nil, nil
	}
	now := time.Now()
	data := map[string]interface{}{
		"request_id":       rec.RequestID,
		"mode":             rec.Mode,
		"role":             rec.Role,
		"ca":               rec.CA,
		"template":         rec.Template,
		"common_name":      rec.CommonName,
		"names":            append([]string{}, rec.Names...),
		"entity_id":        rec.EntityID,
		"display_name":     rec.DisplayName,
		"requested_at":     rec.RequestedAt.Format(time.RFC3339),
		"age_seconds":      int64(now.Sub(rec.RequestedAt).Seconds()),
		"expires_at":       rec.ExpiresAt.Format(time.RFC3339),
		"private_key_kept": rec.HasKey,
		"state":            "unknown",
	}
	resp := &logical.Response{Data: data}
	drv, err := b.currentDriver(ctx, req.Storage)
	if err != nil {
		resp.AddWarning("the CA could not be asked about the request: " + err.Error())
		return resp, nil
	}
	checker, ok := drv.(cadriver.RequestChecker)
	if !ok {
		resp.AddWarning("the CA driver cannot report the state of held requests")
		return resp, nil
	}
	status, _, err := b.checkPending(ctx, checker, rec)
	if err != nil {
		resp.AddWarning("the CA could not be asked about the request: " + err.Error())
		return resp, nil
	}
	data["state"] = status.State.String()
	data["ca_state"] = status.CAState
	data["ca_message"] = status.Message
	data["ca_requester"] = status.Requester
	if status.Issued != nil && status.Issued.Certificate != nil {
		data["certificate"] = certPEM(status.Issued.Certificate)
		data["serial_number"] = serialFromCert(status.Issued.Certificate)
	}
	return resp, nil
}

func (b *backend) pathPendingDelete(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	id := d.Get("request_id").(string)
	rec, err := getPending(ctx, req.Storage, id)
	if err != nil {
		return respond(err)
	}
	deny := d.Get("deny").(bool)
	if rec == nil {
		if deny {
			return nil, logical.CodedError(http.StatusNotFound, "no pending request "+id+" is remembered by this mount")
		}
		return nil, nil
	}
	if deny {
		drv, err := b.currentDriver(ctx, req.Storage)
		if err != nil {
			return respond(err)
		}
		denier, ok := drv.(cadriver.RequestDenier)
		if !ok {
			return respond(Invalid("deny=true: the CA driver cannot deny requests; deny %s in the CA, or delete without deny to only forget it", id))
		}
		comment := d.Get("comment").(string)
		if comment == "" {
			comment = "Denied through Vault (" + req.MountPoint + "pending/" + id + ")"
		}
		if err := denier.DenyRequest(ctx, rec.RequestID, comment); err != nil {
			return respond(caError("deny request "+id, err))
		}
	}
	if err := deletePending(ctx, req.Storage, rec); err != nil {
		return nil, err
	}
	return nil, nil
}

// tidyPendingRequests removes the held requests, and their keys, past their pending_ttl.
func (t *tidyRunner) tidyPendingRequests(ctx context.Context, s logical.Storage, cancel <-chan struct{}) error {
	ids, err := s.List(ctx, pendingRecordPrefix)
	if err != nil {
		return err
	}
	now := time.Now()
	for i, id := range ids {
		t.setMessage(fmt.Sprintf("Tidying pending requests: checking entry %d of %d", i, len(ids)))
		if cancelled(cancel) {
			return errTidyCancelled
		}
		rec, err := getPending(ctx, s, id)
		if err != nil {
			return err
		}
		if rec == nil || !rec.expired(now) {
			continue
		}
		if err := deletePending(ctx, s, rec); err != nil {
			return err
		}
	}
	return nil
}
