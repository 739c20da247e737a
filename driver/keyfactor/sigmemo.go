package keyfactor

import (
	"crypto/x509"
	"sync"
)

// Every enrollment answer carries the same CA certificates, and ordering its chain checks their
// signatures again each time (an RSA verification per CA certificate, per issuance). Whether one
// exact certificate (its DER bytes) is signed by another exact certificate never changes, so the
// outcome between CA certificates is remembered. Leaves are always checked: each is new.

// caSignatureMemoSize bounds the memo; a deployment has a handful of CA certificates.
const caSignatureMemoSize = 64

type signaturePair struct{ child, parent string } // DER bytes

type signatureMemo struct {
	mu      sync.Mutex
	results map[signaturePair]bool
}

var caSignatures signatureMemo

// signedBy reports whether parent's key verifies child's signature, remembering the outcome
// when child is a CA certificate.
func signedBy(child, parent *x509.Certificate) bool {
	if !child.IsCA {
		return child.CheckSignatureFrom(parent) == nil
	}
	return caSignatures.check(child, parent)
}

func (m *signatureMemo) check(child, parent *x509.Certificate) bool {
	key := signaturePair{child: string(child.Raw), parent: string(parent.Raw)}
	m.mu.Lock()
	ok, known := m.results[key]
	m.mu.Unlock()
	if known {
		return ok
	}
	ok = child.CheckSignatureFrom(parent) == nil
	m.mu.Lock()
	if m.results == nil || len(m.results) >= caSignatureMemoSize {
		m.results = map[signaturePair]bool{} // start over rather than grow
	}
	m.results[key] = ok
	m.mu.Unlock()
	return ok
}
