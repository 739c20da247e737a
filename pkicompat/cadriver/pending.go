package cadriver

import (
	"context"
	"crypto/x509"
	"time"
)

// RequestChecker is an optional Driver capability: the state of a certificate request the CA
// held for approval (Sign returned a *PendingApprovalError). With it the engine remembers a held
// request and answers a caller's retry from the CA's decision instead of filing a new request.
type RequestChecker interface {
	CheckRequest(ctx context.Context, q *RequestQuery) (*RequestStatus, error)
}

// RequestDenier is an optional Driver capability: deny a request the CA holds for approval, so
// an operator who forgets a pending request in Vault can also take it out of the approvers'
// queue.
type RequestDenier interface {
	DenyRequest(ctx context.Context, requestID, comment string) error
}

// RequestQuery names one held request.
type RequestQuery struct {
	// RequestID is the id the CA gave in the *PendingApprovalError.
	RequestID string
	// CA is the CA the request went to, as Sign received it (empty: the driver's default).
	CA string
	// CSR is the request as it was sent, so the driver can tell the leaf from its chain.
	CSR *x509.CertificateRequest
}

// RequestState is where a held request stands.
type RequestState int

const (
	// RequestPending: the CA still holds the request for an approver.
	RequestPending RequestState = iota
	// RequestIssued: approved and issued; RequestStatus.Issued holds the certificate.
	RequestIssued
	// RequestDenied: an approver denied it; RequestStatus.Message holds the CA's comment.
	RequestDenied
	// RequestFailed: approved, but the CA failed to issue.
	RequestFailed
)

// String names the state as the engine reports it.
func (s RequestState) String() string {
	switch s {
	case RequestIssued:
		return "issued"
	case RequestDenied:
		return "denied"
	case RequestFailed:
		return "failed"
	}
	return "pending"
}

// RequestStatus is the CA's answer about one request. An unknown request is a *NotFoundError.
type RequestStatus struct {
	State RequestState
	// CAState is the CA's own name for the state (e.g. "Pending"), shown to operators.
	CAState string
	// Message is the CA's comment (the denial's reason, the failure's text).
	Message     string
	Requester   string
	SubmittedAt time.Time
	// Issued is the certificate once State is RequestIssued.
	Issued *SignResponse
}

// MetadataFieldLister is an optional Driver capability: the metadata fields the CA's inventory
// defines, so a role that maps request values to fields can be checked when it is written.
type MetadataFieldLister interface {
	MetadataFields(ctx context.Context) ([]MetadataField, error)
}

// MetadataField is one metadata field the CA defines.
type MetadataField struct {
	Name string
	// Type is the CA's name for the field's type (e.g. "String"), for messages.
	Type string
	// TakesText is true when any text is a valid value (not a number, date, choice or address).
	TakesText bool
}
