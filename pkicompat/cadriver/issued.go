package cadriver

import (
	"context"
	"crypto/x509"
	"time"
)

// IssuedFinder is an optional Driver capability: the certificates a CA issued for one public key
// in a time window. The engine notes every Sign before it is sent and uses this to settle the
// ones whose outcome it never learned (the CA answered after the caller's timeout, the plugin
// process died mid-request).
type IssuedFinder interface {
	FindIssued(ctx context.Context, q *IssuedQuery) ([]IssuedCertificate, error)
}

// IssuedQuery describes the issuance being looked for.
type IssuedQuery struct {
	// CA is the CA the request went to; empty means the driver's default CA.
	CA string
	// Since and Until bound the issue time. A CA may backdate notBefore; the driver widens the
	// window as its CA needs.
	Since, Until time.Time
	// PublicKeySHA256 is the SHA-256 of the requested key's DER SubjectPublicKeyInfo: only
	// certificates for that key are returned.
	PublicKeySHA256 []byte
	// CommonName narrows the search when the request had one; empty searches by time alone.
	CommonName string
}

// IssuedCertificate is one certificate a CA issued.
type IssuedCertificate struct {
	Certificate *x509.Certificate
	// CertificateID is the CA's own id, as in SignResponse.
	CertificateID string
	// CA is the CA that signed, as the driver names it.
	CA      string
	Revoked bool
}

// NotIssuedError is implemented by driver errors that can tell that the CA certainly issued
// nothing (for example it refused the credentials or the request before enrolling), so the
// engine can drop its note of the issuance at once.
type NotIssuedError interface {
	error
	NotIssued() bool
}
