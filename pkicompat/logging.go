package pkicompat

import (
	"errors"
	"net/http"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// caOperation logs one issuance or revocation as an operator reads it: one line per call to the
// CA, with structured fields (mount, role, serial, the CA and its certificate id, Vault's request
// id, duration, outcome) instead of prose, so logs can be filtered and counted. Its fields are
// names, ids and serials only: never request data, keys, CSRs or configuration.
type caOperation struct {
	logger hclog.Logger
	op     string // "issue", "sign", "sign-verbatim", "revoke"
	start  time.Time
	fields []interface{}
}

// startCAOperation begins the log of op for req; fields are further key/value pairs (role, CA).
func (b *backend) startCAOperation(req *logical.Request, op string, fields ...interface{}) *caOperation {
	return &caOperation{
		logger: b.Logger(),
		op:     op,
		start:  time.Now(),
		fields: append([]interface{}{"mount", req.MountPoint, "request_id", req.ID}, fields...),
	}
}

// succeeded logs the operation's success at info with the given key/value pairs (serial, ca,
// certificate_id).
func (o *caOperation) succeeded(fields ...interface{}) {
	o.logger.Info(o.op+" succeeded", o.with("outcome", "success", fields)...)
}

// pending logs an operation the CA holds for approval, at warn: it needs someone to act.
func (o *caOperation) pending(fields ...interface{}) {
	o.logger.Warn(o.op+" held by the CA for approval", o.with("outcome", "pending", fields)...)
}

// failed logs err (the engine's error for the CA call) and returns it unchanged. The status
// Vault answers is logged, and when the driver's error carries the CA's own answer
// (cadriver.CAAnswerError) the CA's HTTP status and error code. A caller's mistake or a held
// request is a warning; the CA failing or being unreachable is an error.
func (o *caOperation) failed(err error, fields ...interface{}) error {
	status := cadriver.StatusOf(err, http.StatusInternalServerError)
	kv := append([]interface{}{"status", status}, fields...)
	var answer cadriver.CAAnswerError
	if errors.As(err, &answer) {
		kv = append(kv, "ca_http_status", answer.CAHTTPStatus(), "ca_error_code", answer.CAErrorCode())
	}
	kv = append(kv, "error", err.Error())
	outcome, level := "failure", hclog.Error
	var pending *PendingApprovalError
	switch {
	case errors.As(err, &pending):
		// Command's request id is what an approver looks the request up by.
		outcome, level = "pending", hclog.Warn
		kv = append(kv, "ca_request_id", pending.RequestID)
	case status < http.StatusInternalServerError:
		level = hclog.Warn
	}
	o.logger.Log(level, o.op+" failed", o.with("outcome", outcome, kv)...)
	return err
}

func (o *caOperation) with(key, value string, fields []interface{}) []interface{} {
	kv := append(append([]interface{}{}, o.fields...), fields...)
	return append(kv, key, value, "duration", time.Since(o.start))
}

// revoked logs the CA's answer to a revocation recorded on rec: done, or held for approval.
func (o *caOperation) revoked(rec *certRecord) {
	if rec.Revocation != nil && rec.Revocation.Pending {
		o.pending()
		return
	}
	o.succeeded()
}

// logFields identifies a stored certificate in a log line.
func (r *certRecord) logFields() []interface{} {
	return []interface{}{"role", r.Role, "serial", r.SerialNumber, "ca", r.CA, "certificate_id", r.CertificateID}
}

// issueOperationName names an issuance mode in logs as its path does.
func issueOperationName(mode issueMode) string {
	switch mode {
	case modeSign:
		return "sign"
	case modeSignVerbatim:
		return "sign-verbatim"
	}
	return "issue"
}
