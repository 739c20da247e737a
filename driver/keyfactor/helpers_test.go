package keyfactor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// testPKI is a root and an issuing CA for unit tests that need real certificates.
type testPKI struct {
	root, issuing       *x509.Certificate
	rootKey, issuingKey crypto.Signer
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	return testcerts.ECKey(t)
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	root := testcerts.NewRootCA(t, "Test Root", newKey(t))
	issuing := root.NewSubCA(t, "Test Issuing", newKey(t), func(c *x509.Certificate) {
		c.CRLDistributionPoints = []string{"http://crl.example.com/CertEnroll/Test%20Root.crl"}
	})
	return &testPKI{root: root.Cert, rootKey: root.Key, issuing: issuing.Cert, issuingKey: issuing.Key}
}

func (p *testPKI) leaf(t testing.TB, pub crypto.PublicKey, cn string, serial int64, cdp ...string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		CRLDistributionPoints: cdp,
	}
	return testcerts.Issue(t, tmpl, p.issuing, pub, p.issuingKey)
}

func (p *testPKI) crl(t *testing.T, next time.Duration, revoked ...int64) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(time.Now().UnixNano()), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(next)}
	for _, s := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, p.issuing, p.issuingKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func newCSR(t testing.TB, key crypto.Signer, cn string) *x509.CertificateRequest {
	t.Helper()
	csr, _ := testcerts.CSR(t, key, testcerts.Names(cn, cn))
	return csr
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// p7b builds a certificates-only PKCS#7 bundle, as Command's P7B download returns.
func p7b(t testing.TB, certs ...*x509.Certificate) []byte {
	t.Helper()
	return testcerts.CertsOnlyPKCS7(t, certs...)
}

// fakeCommand serves handler as a plain-HTTP Command for unit tests of parsing and mapping; the
// real simulator covers behaviour end to end.
func fakeCommand(t testing.TB, handler http.HandlerFunc, overrides map[string]interface{}) (*keyfactorDriver, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	conf := basicConf(map[string]interface{}{"url": srv.URL, "timeout": 5})
	for k, v := range overrides {
		if v == nil {
			delete(conf, k)
		} else {
			conf[k] = v
		}
	}
	d, _, err := NewProvider().NewDriver(configJSON(conf))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.(cadriver.Closer).Close)
	return d.(*keyfactorDriver), srv
}

// configJSON is a configuration as the engine stores it: one JSON object.
func configJSON(conf map[string]interface{}) json.RawMessage {
	raw, err := json.Marshal(conf)
	if err != nil {
		panic(err)
	}
	return raw
}
