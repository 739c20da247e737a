package pkitest

import (
	"bytes"
	"context"
	"crypto/sha256"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
)

var _ pkicompat.IssuedFinder = (*Driver)(nil)

// LoseAnswers makes the next n signs issue their certificate and then fail with a timeout, as
// when the CA answers after the caller gave up: the certificate exists only in the CA.
func (s *Server) LoseAnswers(n int) { s.set(func() { s.loseAnswers = n }) }

// FailFind makes FindIssued fail with err (nil restores it).
func (s *Server) FailFind(err error) { s.set(func() { s.findErr = err }) }

// Issued is how many certificates the Server has issued.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.issued)
}

// FindIssued returns the certificates for the query's key, issued by its CA in its window.
func (d *Driver) FindIssued(_ context.Context, q *pkicompat.IssuedQuery) ([]pkicompat.IssuedCertificate, error) {
	s := d.server
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.findErr != nil {
		return nil, s.findErr
	}
	ca, err := s.lookupCA(q.CA, d.ca)
	if err != nil {
		return nil, err
	}
	var out []pkicompat.IssuedCertificate
	for _, c := range s.issued {
		sum := sha256.Sum256(c.cert.RawSubjectPublicKeyInfo)
		if c.ca != ca.name || !bytes.Equal(sum[:], q.PublicKeySHA256) ||
			c.cert.NotBefore.Before(q.Since) || (!q.Until.IsZero() && c.cert.NotBefore.After(q.Until)) {
			continue
		}
		out = append(out, pkicompat.IssuedCertificate{Certificate: c.cert, CertificateID: c.id, CA: c.ca, Revoked: !c.revoked.IsZero()})
	}
	return out, nil
}
