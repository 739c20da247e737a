package cadriver

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net"
	"net/url"
	"time"
)

// Driver is the CA side of the engine. The engine decides what may be issued (role policy, key
// generation, response shapes, storage); a Driver only talks to the CA that signs.
//
// Every method receives the request context and must return promptly when it is cancelled.
// Errors may implement StatusCoder to tell the engine which HTTP status to answer; anything
// else is reported as a CA failure (502). Error messages must never contain credentials.
type Driver interface {
	// Sign submits a certificate request to the CA. A request the CA holds for approval returns
	// a *PendingApprovalError instead of a certificate.
	Sign(ctx context.Context, req *SignRequest) (*SignResponse, error)

	// Revoke revokes one certificate at the CA.
	Revoke(ctx context.Context, req *RevokeRequest) (*RevokeResponse, error)

	// CAChain returns the chain of the named CA, issuing certificate first and root last.
	// An empty name means the driver's default CA. An unknown CA is a *NotFoundError (404).
	CAChain(ctx context.Context, ca string) ([]*x509.Certificate, error)

	// CRL returns the named CA's current CRL, DER encoded. An empty name means the default CA.
	CRL(ctx context.Context, ca string) ([]byte, error)
}

// SignRequest is one certificate request. The CSR already carries the names the engine
// approved; they are repeated in the SAN fields because some CAs take SANs from the request
// body only.
type SignRequest struct {
	CSR *x509.CertificateRequest

	// CA and Template name the CA and the CA-side profile; empty means the driver's defaults.
	CA       string
	Template string
	// Metadata is attached to the certificate in the CA's inventory.
	Metadata map[string]string

	DNSNames       []string
	IPAddresses    []net.IP
	URIs           []*url.URL
	EmailAddresses []string

	// NotAfter is the validity the Vault caller asked for. A CA may ignore it (its profile
	// decides validity); the engine compares the result and warns.
	NotAfter time.Time
}

// SignResponse is an issued certificate.
type SignResponse struct {
	Certificate *x509.Certificate
	// Chain is the issuing CA first, then its issuers up to and including the root.
	Chain []*x509.Certificate
	// CertificateID is the CA's own identifier of the certificate (opaque to the engine, kept in
	// the certificate record so revocation needs no lookup).
	CertificateID string
	// CA is the CA that signed, as the driver names it (the resolved default when the request
	// named none).
	CA string
}

// RevokeRequest identifies the certificate to revoke. CertificateID is set when the engine
// stored it at issuance; otherwise the driver finds the certificate by serial and issuer.
type RevokeRequest struct {
	Certificate   *x509.Certificate
	CertificateID string
	// Reason is an RFC 5280 CRLReason code. Native PKI's revoke takes none, so it is 0
	// (unspecified) except when the engine revokes on its own account: superseded (4) for a
	// certificate the CA issued but nobody received.
	Reason int
	// Comment is recorded with the revocation where the CA keeps one; empty means the driver's.
	Comment string
}

// RevokeResponse reports the CA's answer to a revocation.
type RevokeResponse struct {
	RevokedAt time.Time
	// Pending is true when the CA accepted the revocation but holds it for approval.
	Pending bool
	Message string
}

// RevokedCertificate is one entry of a batch revocation listing.
type RevokedCertificate struct {
	SerialNumber *big.Int
	RevokedAt    time.Time
}

// RevocationLister is an optional Driver capability: every revocation of a CA since a time, so
// the engine can learn of revocations made in the CA's own console.
type RevocationLister interface {
	RevokedSince(ctx context.Context, ca string, since time.Time) ([]RevokedCertificate, error)
}

// ConnectionChecker is an optional Driver capability used when config is written: it proves the
// credentials work and that the configured CA and template can issue. Warnings are returned to
// the writer; an error rejects the write.
type ConnectionChecker interface {
	CheckConnection(ctx context.Context) (warnings []string, err error)
}

// DefaultCANamer is an optional Driver capability: the CA used when a request names none, so
// the engine can resolve the issuer reference "default".
type DefaultCANamer interface {
	DefaultCA() string
}

// Closer is an optional Driver capability: release idle connections and cached tokens when the
// configuration is replaced or deleted. Close must not interrupt requests already running.
type Closer interface {
	Close()
}

// Provider turns the configuration stored at the config path into a Driver.
type Provider interface {
	// DisplayName names the CA product in messages and help texts, e.g. "Keyfactor Command".
	DisplayName() string
	// ConfigFields declares the fields the engine serves at the config path.
	ConfigFields() []ConfigField
	// NewDriver validates a configuration and returns a ready driver, plus warnings for the
	// writer. conf is the stored configuration: a JSON object of field name to value, each
	// value of the JSON type its field's Kind names (FieldDuration as whole seconds,
	// FieldCommaList as an array of strings), so a driver decodes it with encoding/json into
	// its own struct. It must not read the process environment or any file other than those
	// the configuration names.
	NewDriver(conf json.RawMessage) (Driver, []string, error)
}

// FieldKind is the type of a configuration field.
type FieldKind int

const (
	FieldString    FieldKind = iota // a JSON string
	FieldBool                       // a JSON boolean
	FieldInt                        // a JSON number (integer)
	FieldDuration                   // a JSON number: whole seconds
	FieldCommaList                  // a JSON array of strings
)

// ConfigField describes one configuration field of a driver.
type ConfigField struct {
	Name        string
	Kind        FieldKind
	Description string
	Default     interface{}
	// Sensitive fields are never returned by a config read; show_hidden=true only reports
	// whether they are set.
	Sensitive bool
}
