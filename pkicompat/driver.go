package pkicompat

import "github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"

// The CA seam is declared in package cadriver, which imports only the standard library, so a
// driver does not pull the engine (and Vault) into its build. These aliases keep the names
// usable as pkicompat.Driver and friends; see cadriver for their documentation.
type (
	Driver             = cadriver.Driver
	SignRequest        = cadriver.SignRequest
	SignResponse       = cadriver.SignResponse
	RevokeRequest      = cadriver.RevokeRequest
	RevokeResponse     = cadriver.RevokeResponse
	RevokedCertificate = cadriver.RevokedCertificate

	RevocationLister  = cadriver.RevocationLister
	ConnectionChecker = cadriver.ConnectionChecker
	DefaultCANamer    = cadriver.DefaultCANamer
	Closer            = cadriver.Closer
	IssuedFinder      = cadriver.IssuedFinder
	IssuedQuery       = cadriver.IssuedQuery
	IssuedCertificate = cadriver.IssuedCertificate
	NotIssuedError    = cadriver.NotIssuedError

	Provider    = cadriver.Provider
	FieldKind   = cadriver.FieldKind
	ConfigField = cadriver.ConfigField

	StatusCoder          = cadriver.StatusCoder
	CAAnswerError        = cadriver.CAAnswerError
	ValidationError      = cadriver.ValidationError
	NotFoundError        = cadriver.NotFoundError
	UnavailableError     = cadriver.UnavailableError
	PendingApprovalError = cadriver.PendingApprovalError
)

// Configuration field kinds (see cadriver.FieldKind).
const (
	FieldString    = cadriver.FieldString
	FieldBool      = cadriver.FieldBool
	FieldInt       = cadriver.FieldInt
	FieldDuration  = cadriver.FieldDuration
	FieldCommaList = cadriver.FieldCommaList
)

// Invalid returns a ValidationError (HTTP 400) with a formatted message.
func Invalid(format string, args ...interface{}) error {
	return cadriver.Invalid(format, args...)
}
