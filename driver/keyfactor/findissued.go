package keyfactor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// FindIssued lists the certificates Command holds for one public key, issued by the CA in the
// query's window, so the engine can settle issuances whose answer it never received.
//
// The search is GET /Certificates with CA -eq (evidenced: the previous Vault plugin), IssuedCN
// -eq (evidenced: Keyfactor's Go client and terraform provider) and IssuedDate -ge/-le.
// Inferred: IssuedDate as a PQL field. It is a validated sort field of GET /Certificates (a
// terraform provider's live-lab tests) and a search field of Command's certificate search page;
// a Command that refuses it (HTTP 400) is searched again without the date terms, and the window
// is then applied to notBefore here. Candidates are matched on the SHA-256 of their
// SubjectPublicKeyInfo, which no search field holds.
func (d *keyfactorDriver) FindIssued(ctx context.Context, q *cadriver.IssuedQuery) ([]cadriver.IssuedCertificate, error) {
	if q == nil || len(q.PublicKeySHA256) != sha256.Size {
		return nil, cadriver.Invalid("a search for issued certificates needs the SHA-256 of the public key")
	}
	ca, err := d.resolveCA(q.CA)
	if err != nil {
		return nil, err
	}
	narrow := []pqlTerm{pqlText("CA", logicalName(ca))}
	if cn := strings.TrimSpace(q.CommonName); cn != "" && !strings.ContainsAny(cn, "\"\r\n") {
		// A CN PQL cannot quote only narrows the search; the key hash decides anyway.
		narrow = append(narrow, pqlText("IssuedCN", cn))
	}
	window := []pqlTerm{pqlDate("IssuedDate", "-ge", q.Since)}
	if !q.Until.IsZero() {
		window = append(window, pqlDate("IssuedDate", "-le", q.Until))
	}
	records, err := d.searchIssued(ctx, append(append([]pqlTerm{}, narrow...), window...))
	var refused *CommandError
	if errors.As(err, &refused) && refused.HTTPStatus == http.StatusBadRequest {
		records, err = d.searchIssued(ctx, narrow)
	}
	if err != nil {
		return nil, err
	}

	var out []cadriver.IssuedCertificate
	for i := range records {
		r := &records[i]
		if r.ID <= 0 || int(r.CertState) == certStateIssuingCA {
			continue
		}
		if !r.NotBefore.IsZero() && (r.NotBefore.Before(q.Since) || (!q.Until.IsZero() && r.NotBefore.After(q.Until))) {
			continue
		}
		cert, err := d.recordCertificate(ctx, r)
		if err != nil {
			return nil, err
		}
		if cert == nil {
			continue
		}
		sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
		if !bytes.Equal(sum[:], q.PublicKeySHA256) {
			continue
		}
		out = append(out, cadriver.IssuedCertificate{
			Certificate:   cert,
			CertificateID: strconv.FormatInt(int64(r.ID), 10),
			CA:            ca,
			Revoked:       int(r.CertState) == certStateRevoked,
		})
	}
	return out, nil
}

func (d *keyfactorDriver) searchIssued(ctx context.Context, terms []pqlTerm) ([]certificateRecord, error) {
	query, err := pqlAllOf(terms...)
	if err != nil {
		return nil, cadriver.Invalid("%v", err)
	}
	return d.searchCertificates(ctx, certQuery{pql: query, includeRevoked: true, includeExpired: true})
}

// recordCertificate is the certificate of a search record: its ContentBytes when Command sent
// them, else the download (the leaf is the first certificate with the record's serial).
func (d *keyfactorDriver) recordCertificate(ctx context.Context, r *certificateRecord) (*x509.Certificate, error) {
	if content := strings.TrimSpace(r.ContentBytes); content != "" {
		if der, err := base64.StdEncoding.DecodeString(content); err == nil {
			if cert, err := x509.ParseCertificate(der); err == nil {
				return cert, nil
			}
		}
	}
	certs, err := d.downloadChain(ctx, int64(r.ID))
	if err != nil {
		return nil, err
	}
	if leaf := findBySerial(certs, r.SerialNumber); leaf != nil {
		return leaf, nil
	}
	if len(certs) > 0 {
		return certs[0], nil
	}
	return nil, nil
}
