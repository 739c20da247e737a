package pkicompat

import (
	"context"
	"crypto/x509"
	"net"
	"net/url"
	"time"
)

// Driver is the CA side of the engine. pkicompat decides what may be issued (role policy, key
// generation, response shapes, storage); a Driver only talks to the CA that signs. Its methods take
// and return plain Go types so a second CA can be added without touching pkicompat.
//
// Every method receives the request context and must return promptly when it is cancelled.
// Errors may implement StatusCoder to tell pkicompat which HTTP status to answer; anything else
// is reported as a CA failure (502). Error messages must never contain credentials.
type Driver interface {
	// Sign submits a certificate request to the CA. A request the CA holds for approval returns
	// a *PendingApprovalError instead of a certificate.
	Sign(ctx context.Context, req *SignRequest) (*SignResponse, error)

	// Revoke revokes one certificate at the CA.
	Revoke(ctx context.Context, req *RevokeRequest) (*RevokeResponse, error)

	// CAChain returns the chain of the named CA, issuing certificate first and root last.
	// An empty name means the driver's default CA.
	CAChain(ctx context.Context, ca string) ([]*x509.Certificate, error)

	// CRL returns the named CA's current CRL, DER encoded. An empty name means the default CA.
	CRL(ctx context.Context, ca string) ([]byte, error)

	// Status reports whether a certificate is revoked at the CA.
	Status(ctx context.Context, req *StatusRequest) (*CertificateStatus, error)
}

// SignRequest is one certificate request. The CSR already carries the names pkicompat approved;
// they are repeated in the SAN fields because some CAs take SANs from the request body only.
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
	// decides validity); pkicompat compares the result and warns.
	NotAfter time.Time
}

// SignResponse is an issued certificate.
type SignResponse struct {
	Certificate *x509.Certificate
	// Chain is the issuing CA first, then its issuers up to and including the root.
	Chain []*x509.Certificate
	// CertificateID is the CA's own identifier of the certificate (opaque to pkicompat, kept in
	// the certificate record so revocation needs no lookup).
	CertificateID string
	// CA is the CA that signed, as the driver names it (the resolved default when the request
	// named none).
	CA string
}

// RevokeRequest identifies the certificate to revoke. CertificateID is set when pkicompat
// stored it at issuance; otherwise the driver finds the certificate by serial and issuer.
type RevokeRequest struct {
	Certificate   *x509.Certificate
	CertificateID string
	// Reason is an RFC 5280 CRLReason code (0 = unspecified).
	Reason  int
	Comment string
}

// RevokeResponse reports the CA's answer to a revocation.
type RevokeResponse struct {
	RevokedAt time.Time
	// Pending is true when the CA accepted the revocation but holds it for approval.
	Pending bool
	Message string
}

// StatusRequest identifies a certificate whose revocation status is wanted.
type StatusRequest struct {
	Certificate   *x509.Certificate
	CertificateID string
}

// CertificateStatus is the CA's view of one certificate.
type CertificateStatus struct {
	Revoked   bool
	RevokedAt time.Time
	Reason    int
}

// RevokedCertificate is one entry of a batch revocation listing.
type RevokedCertificate struct {
	SerialNumber  string // lowercase colon hex, as pkicompat stores serials
	CertificateID string
	RevokedAt     time.Time
	Reason        int
}

// RevocationLister is an optional Driver capability: every revocation of a CA since a time, so
// pkicompat can learn of revocations made in the CA's own console.
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
// pkicompat can resolve the issuer reference "default".
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
	// ConfigFields declares the fields pkicompat serves at the config path.
	ConfigFields() []ConfigField
	// NewDriver validates a configuration (as stored: field name -> value, with the types the
	// fields declare) and returns a ready driver, plus warnings for the writer. It must not read
	// the process environment or any file other than those the configuration names.
	NewDriver(conf map[string]interface{}) (Driver, []string, error)
}

// FieldKind is the type of a configuration field.
type FieldKind int

const (
	FieldString FieldKind = iota
	FieldBool
	FieldInt
	FieldDuration  // stored as seconds (int)
	FieldCommaList // stored as []string
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
