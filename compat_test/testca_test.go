package compattest

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// issuingCA is a CA both engines sign under: its certificate and key, and its issuers up to the
// root (root last).
type issuingCA struct {
	cert  *x509.Certificate
	key   crypto.Signer
	chain []*x509.Certificate
}

// bundlePEM is the issuing CA's key, its certificate and its chain, as native PKI's
// issuers/import/bundle takes them.
func (ca *issuingCA) bundlePEM(t *testing.T) string {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		t.Fatalf("marshal CA key: %v", err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	for _, c := range append([]*x509.Certificate{ca.cert}, ca.chain...) {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return string(out)
}

// newTestCA makes a two-level hierarchy (root, issuing CA), used when the suite compares native
// PKI with itself to prove the harness sees no difference between two correct engines.
func newTestCA(t *testing.T) *issuingCA {
	t.Helper()
	rootKey := mustRSAKey(t)
	rootTmpl := caTemplate("Compat Test Root CA", 1)
	root := testcerts.Issue(t, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	caKey := mustRSAKey(t)
	caCert := testcerts.Issue(t, caTemplate("Compat Test Issuing CA", 2), root, caKey.Public(), rootKey)
	return &issuingCA{cert: caCert, key: caKey, chain: []*x509.Certificate{root}}
}

func caTemplate(cn string, serial int64) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"kfpki compat"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func mustRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	return testcerts.RSAKey(t, 2048)
}

// certPEM is the issuing CA's certificate alone.
func (ca *issuingCA) certPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}))
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
