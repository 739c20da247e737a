package pkicompat

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// certRecord is what the engine keeps for one issued certificate. It never holds a private key.
//
// The CA's certificate id is a string field inside this JSON object: a bare JSON number as a
// storage value can be mistaken by Vault's decoder for compressed data (jsonutil.DecodeJSON
// treats a value starting with one of its compression canary bytes as compressed).
type certRecord struct {
	SerialNumber   string            `json:"serial_number"` // colon form, as clients see it
	CertificateDER []byte            `json:"certificate_der"`
	CA             string            `json:"ca"`        // the CA that signed, as the driver names it
	IssuerID       string            `json:"issuer_id"` // stable id derived from CA
	CertificateID  string            `json:"certificate_id,omitempty"`
	Template       string            `json:"template,omitempty"`
	Role           string            `json:"role,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	IssuedAt       time.Time         `json:"issued_at"`
	Revocation     *revocationInfo   `json:"revocation,omitempty"`
}

// revocationInfo records what the CA answered to a revocation.
type revocationInfo struct {
	// Time is zero while the CA holds the revocation for approval (Pending).
	Time    time.Time `json:"time"`
	Pending bool      `json:"pending,omitempty"`
	Message string    `json:"message,omitempty"`
}

// revokedMarker is the entry under revoked/ that lets certs/revoked/ be listed cheaply.
type revokedMarker struct {
	SerialNumber   string    `json:"serial_number"`
	RevocationTime time.Time `json:"revocation_time"`
}

func (r *certRecord) revoked() bool {
	return r.Revocation != nil && !r.Revocation.Pending
}

func (r *certRecord) certificate() (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(r.CertificateDER)
	if err != nil {
		return nil, fmt.Errorf("stored certificate %s is unreadable: %w", r.SerialNumber, err)
	}
	return cert, nil
}

func getCertRecord(ctx context.Context, s logical.Storage, serial string) (*certRecord, error) {
	return getJSON[certRecord](ctx, s, certStoragePrefix+storageSerial(serial), "certificate "+serial)
}

func putCertRecord(ctx context.Context, s logical.Storage, rec *certRecord) error {
	key := storageSerial(rec.SerialNumber)
	if err := putJSON(ctx, s, certStoragePrefix+key, "certificate "+rec.SerialNumber, rec); err != nil {
		return err
	}
	if rec.revoked() {
		return putJSON(ctx, s, revokedStoragePrefix+key, "revocation of "+rec.SerialNumber,
			&revokedMarker{SerialNumber: rec.SerialNumber, RevocationTime: rec.Revocation.Time})
	}
	return nil
}

// listSerials returns the serials stored under prefix in colon form.
func listSerials(ctx context.Context, s logical.Storage, prefix string) ([]string, error) {
	keys, err := s.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", prefix, err)
	}
	serials := make([]string, 0, len(keys))
	for _, k := range keys {
		serials = append(serials, displaySerial(k))
	}
	return serials, nil
}
