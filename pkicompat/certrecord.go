package pkicompat

import (
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// Storage prefixes. certs/ and revoked/ are local storage (see backend.go), as in native PKI.
const (
	certStoragePrefix    = "certs/"
	revokedStoragePrefix = "revoked/"
)

// certRecord is what the engine keeps for one issued certificate. It never holds a private key.
//
// The CA's certificate id is a string field inside this JSON object: a bare JSON number as a
// storage value can be mistaken by Vault's decoder for compressed data (see peer-lessons #10).
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
	entry, err := s.Get(ctx, certStoragePrefix+storageSerial(serial))
	if err != nil {
		return nil, fmt.Errorf("reading certificate %s: %w", serial, err)
	}
	if entry == nil {
		return nil, nil
	}
	var rec certRecord
	if err := entry.DecodeJSON(&rec); err != nil {
		return nil, fmt.Errorf("decoding certificate %s: %w", serial, err)
	}
	return &rec, nil
}

func putCertRecord(ctx context.Context, s logical.Storage, rec *certRecord) error {
	entry, err := logical.StorageEntryJSON(certStoragePrefix+storageSerial(rec.SerialNumber), rec)
	if err != nil {
		return fmt.Errorf("encoding certificate %s: %w", rec.SerialNumber, err)
	}
	if err := s.Put(ctx, entry); err != nil {
		return fmt.Errorf("storing certificate %s: %w", rec.SerialNumber, err)
	}
	if rec.revoked() {
		marker, err := logical.StorageEntryJSON(revokedStoragePrefix+storageSerial(rec.SerialNumber),
			&revokedMarker{SerialNumber: rec.SerialNumber, RevocationTime: rec.Revocation.Time})
		if err != nil {
			return fmt.Errorf("encoding revocation of %s: %w", rec.SerialNumber, err)
		}
		if err := s.Put(ctx, marker); err != nil {
			return fmt.Errorf("storing revocation of %s: %w", rec.SerialNumber, err)
		}
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
