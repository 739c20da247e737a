package pkitest

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
)

func newDriver(t *testing.T, s *Server, conf map[string]interface{}) pkicompat.Driver {
	t.Helper()
	d, _, err := s.Provider().NewDriver(configJSON(t, conf))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func testCSR(t *testing.T, cn string) *x509.CertificateRequest {
	t.Helper()
	csr, _ := testcerts.CSR(t, testcerts.ECKey(t), testcerts.Names(cn))
	return csr
}

func TestSignRevokeCRL(t *testing.T) {
	s, err := New("A", "B")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := newDriver(t, s, map[string]interface{}{"url": "https://ca.test", "ca": "B", "password": Password})
	if d.(pkicompat.DefaultCANamer).DefaultCA() != "B" {
		t.Fatal("default CA")
	}
	notAfter := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	resp, err := d.Sign(ctx, &pkicompat.SignRequest{CSR: testCSR(t, "a.test"), DNSNames: []string{"a.test"}, NotAfter: notAfter})
	if err != nil {
		t.Fatal(err)
	}
	if resp.CA != "B" || len(resp.Chain) != 2 || !resp.Certificate.NotAfter.Equal(notAfter) {
		t.Fatalf("sign response: ca %q chain %d notAfter %v", resp.CA, len(resp.Chain), resp.Certificate.NotAfter)
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.Root("B"))
	inter := x509.NewCertPool()
	inter.AddCert(s.Issuing("B"))
	if _, err := resp.Certificate.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter}); err != nil {
		t.Fatalf("leaf does not verify against B's root: %v", err)
	}
	if !strings.HasPrefix(resp.CertificateID, "4") {
		t.Fatalf("ids start at 41, got %q", resp.CertificateID)
	}

	if _, err := d.Revoke(ctx, &pkicompat.RevokeRequest{CertificateID: resp.CertificateID}); err != nil {
		t.Fatal(err)
	}
	der, err := d.CRL(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil || len(crl.RevokedCertificateEntries) != 1 {
		t.Fatalf("CRL: %v entries, %v", crl, err)
	}
	if err := crl.CheckSignatureFrom(s.Issuing("B")); err != nil {
		t.Fatalf("CRL not signed by B: %v", err)
	}
	if !s.IsRevoked(resp.Certificate.SerialNumber) {
		t.Fatalf("certificate %s not revoked in the Server", resp.CertificateID)
	}
}

func TestFailureModes(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := newDriver(t, s, map[string]interface{}{"url": "https://ca.test", "password": "wrong"})
	if _, err := d.(pkicompat.ConnectionChecker).CheckConnection(ctx); err == nil {
		t.Fatal("wrong password accepted")
	}
	cases := []struct {
		name string
		call func() error
		want int
	}{
		{"unknown CA", func() error { _, err := d.CAChain(ctx, "nope"); return err }, 404},
		{"unknown template", func() error {
			_, err := d.Sign(ctx, &pkicompat.SignRequest{CSR: testCSR(t, "x"), Template: "nope"})
			return err
		}, 400},
		{"held", func() error {
			s.HoldSigns("77")
			defer s.HoldSigns("")
			_, err := d.Sign(ctx, &pkicompat.SignRequest{CSR: testCSR(t, "x")})
			return err
		}, 409},
		{"failing", func() error {
			s.FailSign(errors.New("boom"))
			defer s.FailSign(nil)
			_, err := d.Sign(ctx, &pkicompat.SignRequest{CSR: testCSR(t, "x")})
			return err
		}, 502},
		{"revoke unknown", func() error { _, err := d.Revoke(ctx, &pkicompat.RevokeRequest{CertificateID: "1"}); return err }, 404},
	}
	for _, tc := range cases {
		err := tc.call()
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		var sc pkicompat.StatusCoder
		got := 502
		if errors.As(err, &sc) {
			got = sc.StatusCode()
		}
		if got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestProviderValidatesURL(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, conf := range []map[string]interface{}{{}, {"url": "http://x"}, {"url": 5}} {
		if _, _, err := s.Provider().NewDriver(configJSON(t, conf)); err == nil {
			t.Errorf("NewDriver(%v) accepted", conf)
		}
	}
}

// configJSON is a configuration as pkicompat stores it: one JSON object.
func configJSON(t *testing.T, conf map[string]interface{}) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(conf)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
