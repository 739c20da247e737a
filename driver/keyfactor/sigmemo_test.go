package keyfactor

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

func caTemplate(serial int64, cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
}

// The remembered outcome of a CA signature check is the check's own, per exact certificate: a
// certificate with the same names but another signature is checked, and refused, on its own.
func TestCASignatureMemo(t *testing.T) {
	key, other := testcerts.ECKey(t), testcerts.ECKey(t)
	rootTmpl := caTemplate(1, "Memo Root")
	root := testcerts.Issue(t, rootTmpl, rootTmpl, key.Public(), key)
	// Same subject and issuer name, self-issued, but signed by a key that is not its own.
	forgedTmpl := caTemplate(2, "Memo Root")
	forged := testcerts.Issue(t, forgedTmpl, forgedTmpl, key.Public(), other)
	for i := 0; i < 3; i++ {
		if !isSelfSigned(root) {
			t.Fatalf("round %d: the genuine root is not self-signed", i)
		}
		if isSelfSigned(forged) {
			t.Fatalf("round %d: a root signed by another key passes as self-signed", i)
		}
	}
	for i := int64(0); i < 3*caSignatureMemoSize; i++ {
		k := testcerts.ECKey(t)
		tmpl := caTemplate(10+i, "CA")
		c := testcerts.Issue(t, tmpl, tmpl, k.Public(), k)
		if !signedBy(c, c) {
			t.Fatal("a self-signed CA does not verify")
		}
	}
	caSignatures.mu.Lock()
	n := len(caSignatures.results)
	caSignatures.mu.Unlock()
	if n > caSignatureMemoSize {
		t.Fatalf("the memo holds %d outcomes, bound %d", n, caSignatureMemoSize)
	}
}
