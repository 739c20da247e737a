package cadriver

import (
	"errors"
	"fmt"
	"net/http"
)

// StatusCoder is implemented by errors that know which HTTP status Vault should answer with.
type StatusCoder interface {
	error
	StatusCode() int
}

// StatusOf is the HTTP status of an error: its own (the first StatusCoder in its chain), or
// fallback when it has none.
func StatusOf(err error, fallback int) int {
	var sc StatusCoder
	if errors.As(err, &sc) {
		return sc.StatusCode()
	}
	return fallback
}

// ValidationError is a caller's mistake (HTTP 400). Drivers return it for input the CA rejects
// as invalid (an unknown template name given in the request, malformed metadata).
type ValidationError struct {
	Message string
}

func (e *ValidationError) Error() string   { return e.Message }
func (e *ValidationError) StatusCode() int { return http.StatusBadRequest }

// Invalid returns a ValidationError with a formatted message.
func Invalid(format string, args ...interface{}) error {
	return &ValidationError{Message: fmt.Sprintf(format, args...)}
}

// NotFoundError is an unknown object (HTTP 404).
type NotFoundError struct {
	Message string
}

func (e *NotFoundError) Error() string   { return e.Message }
func (e *NotFoundError) StatusCode() int { return http.StatusNotFound }

// UnavailableError means the CA could not be reached or did not answer in time (HTTP 503,
// or 504 when Timeout is set).
type UnavailableError struct {
	Message string
	Timeout bool
	Err     error
}

func (e *UnavailableError) Error() string { return e.Message }
func (e *UnavailableError) Unwrap() error { return e.Err }
func (e *UnavailableError) StatusCode() int {
	if e.Timeout {
		return http.StatusGatewayTimeout
	}
	return http.StatusServiceUnavailable
}

// PendingApprovalError is the CA's answer when a request waits for an approver. The engine
// turns it into an error that names the request id so an operator can find it in the CA.
type PendingApprovalError struct {
	RequestID string
	Message   string
}

func (e *PendingApprovalError) Error() string {
	msg := fmt.Sprintf("certificate request %s is pending approval in the CA", e.RequestID)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// StatusCode is 409: the request is valid but cannot complete until someone acts in the CA.
func (e *PendingApprovalError) StatusCode() int { return http.StatusConflict }

// CAAnswerError is an optional capability of driver errors that carry the CA's own answer: the
// HTTP status the CA sent and its error code. The engine logs them as structured fields, so an
// operator can search logs by the CA's code without the engine parsing messages.
type CAAnswerError interface {
	error
	CAHTTPStatus() int
	CAErrorCode() string
}
