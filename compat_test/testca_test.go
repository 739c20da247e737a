package compattest

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// issuingCA is a CA both engines sign under: its certificate and key, and its issuers up to the
// root (root last).
type issuingCA struct {
	testcerts.CA
	chain []*x509.Certificate
}

// bundlePEM is the issuing CA's key, its certificate and its chain, as native PKI's
// issuers/import/bundle takes them.
func (ca *issuingCA) bundlePEM(t *testing.T) string {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		t.Fatalf("marshal CA key: %v", err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	for _, c := range append([]*x509.Certificate{ca.Cert}, ca.chain...) {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return string(out)
}

// newTestCA makes a two-level hierarchy (root, issuing CA), used when the suite compares native
// PKI with itself to prove the harness sees no difference between two correct engines.
func newTestCA(t *testing.T) *issuingCA {
	t.Helper()
	root := testcerts.NewRootCA(t, "Compat Test Root CA", mustRSAKey(t))
	issuing := root.NewSubCA(t, "Compat Test Issuing CA", mustRSAKey(t))
	return &issuingCA{CA: *issuing, chain: []*x509.Certificate{root.Cert}}
}

func mustRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	return testcerts.RSAKey(t, 2048)
}

// certPEM is the issuing CA's certificate alone.
func (ca *issuingCA) certPEM() string {
	return testcerts.PEM(ca.Cert)
}

// pkcs8PEM encodes key as a PKCS#8 PEM block.
func pkcs8PEM(t *testing.T, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
