package pkicompat

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/vault/sdk/logical"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// The one error rule of the engine: an error's HTTP status is what its StatusCode method says
// (cadriver.StatusCoder). Handlers return respond(err); helpers return plain errors: a caller's
// mistake is a *ValidationError (400, see Invalid), an unknown object a *NotFoundError (404), a
// failed CA call is wrapped by caError (the driver's status, 502 when it has none), and
// anything else is an internal error (500).

// respond is the answer Vault gives for err: 400s as an ErrorResponse (native's shape for a
// caller's mistake), other statuses as coded errors, errors without a status as 500.
func respond(err error) (*logical.Response, error) {
	var sc StatusCoder
	if !errors.As(err, &sc) {
		return nil, err
	}
	if sc.StatusCode() == http.StatusBadRequest {
		return logical.ErrorResponse(sc.Error()), nil
	}
	return nil, logical.CodedError(sc.StatusCode(), sc.Error())
}

// isNotFound reports whether err's status is 404 (a driver's answer for an unknown CA).
func isNotFound(err error) bool {
	return cadriver.StatusOf(err, 0) == http.StatusNotFound
}

// caCallError is a driver error with a message naming the CA call it came from; the message
// carries the driver's (which, by the Driver contract, holds no credentials).
type caCallError struct {
	msg string
	err error
}

// caError wraps a driver error so respond answers with the driver's status (502 when it has
// none) and a message naming the call.
func caError(call string, err error) error {
	var pending *PendingApprovalError
	if errors.As(err, &pending) {
		return &caCallError{err: err, msg: fmt.Sprintf("CA %s: %s; nothing was stored in Vault, and the certificate, once approved, is only available from the CA", call, pending.Error())}
	}
	return &caCallError{err: err, msg: fmt.Sprintf("CA %s failed: %s", call, err.Error())}
}

func (e *caCallError) Error() string { return e.msg }
func (e *caCallError) Unwrap() error { return e.err }

// StatusCode is the driver's status, or 502: the CA failed.
func (e *caCallError) StatusCode() int { return cadriver.StatusOf(e.err, http.StatusBadGateway) }
