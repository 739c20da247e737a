package commandtest

import (
	"crypto/x509"
	"io"
	"net/http"
	"testing"
)

// fetchCRL downloads and verifies a CRL from the URL in a certificate's distribution point.
func fetchCRL(t *testing.T, s *Server, url string, issuer *x509.Certificate) *x509.RevocationList {
	t.Helper()
	resp, err := s.Client().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	der, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pkix-crl" {
		t.Fatalf("CRL %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		t.Fatalf("CRL signature: %v", err)
	}
	return crl
}

func onCRL(crl *x509.RevocationList, cert *x509.Certificate) (x509.RevocationListEntry, bool) {
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return e, true
		}
	}
	return x509.RevocationListEntry{}, false
}

func TestRevokeAppearsOnCRL(t *testing.T) {
	s := newTestServer(t)
	chain, id := enrollOK(t, s, map[string]any{"IncludeChain": true})
	leaf := chain[0]
	cdp := leaf.CRLDistributionPoints[0]
	if _, found := onCRL(fetchCRL(t, s, cdp, chain[1]), leaf); found {
		t.Fatal("fresh certificate already on the CRL")
	}
	r := do(t, s, call{method: "POST", path: "/Certificates/Revoke",
		body: map[string]any{"CertificateIds": []int{id}, "Reason": 1, "Comment": "key lost"}})
	if r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	var out revokeResponse
	r.decode(t, &out)
	if len(out.RevokedIDs) != 1 || out.RevokedIDs[0] != id || out.SuspendedCerts == nil {
		t.Fatalf("revoke answer %s", r.body)
	}
	entry, found := onCRL(fetchCRL(t, s, cdp, chain[1]), leaf)
	if !found || entry.ReasonCode != 1 {
		t.Fatalf("revoked certificate on CRL = %v, reason %d", found, entry.ReasonCode)
	}
	// The issuing CA carries the root's CRL URL, and the root CRL is served and signed too.
	issuing := chain[1]
	fetchCRL(t, s, issuing.CRLDistributionPoints[0], s.RootCertificate())
	// CRL() from Go agrees.
	der, err := s.CRL(DefaultCALogicalName)
	if err != nil {
		t.Fatal(err)
	}
	if crl, _ := x509.ParseRevocationList(der); crl == nil || len(crl.RevokedCertificateEntries) != 1 {
		t.Fatal("CRL() does not list the revocation")
	}
	// Revoking again is idempotent.
	r = do(t, s, call{method: "POST", path: "/Certificates/Revoke", body: map[string]any{"CertificateIds": []int{id}, "Reason": 4, "Comment": "again"}})
	if r.status != 200 {
		t.Fatalf("second revoke: %d", r.status)
	}
	entry, _ = onCRL(fetchCRL(t, s, cdp, chain[1]), leaf)
	if entry.ReasonCode != 1 {
		t.Fatalf("second revoke changed the reason to %d", entry.ReasonCode)
	}
}

func TestRevokeErrors(t *testing.T) {
	s := newTestServer(t)
	_, id := enrollOK(t, s, map[string]any{})
	tests := []struct {
		name     string
		body     any
		wantCode string
	}{
		{"no ids", map[string]any{"CertificateIds": []int{}, "Comment": "c"}, codeInvalidRevocation},
		{"unknown id", map[string]any{"CertificateIds": []int{99999}, "Comment": "c"}, codeInvalidRevocation},
		{"CA certificate", map[string]any{"CertificateIds": []int{1}, "Comment": "c"}, codeInvalidRevocation},
		{"no comment", map[string]any{"CertificateIds": []int{id}}, codeInvalidRequest},
		{"bad reason", map[string]any{"CertificateIds": []int{id}, "Reason": 7, "Comment": "c"}, codeInvalidRevocation},
		{"bad date", map[string]any{"CertificateIds": []int{id}, "Comment": "c", "EffectiveDate": "soon"}, codeInvalidRequest},
		{"unhold of active", map[string]any{"CertificateIds": []int{id}, "Reason": -1, "Comment": "c"}, codeInvalidRevocation},
		{"not JSON", "[", codeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{method: "POST", path: "/Certificates/Revoke", body: tt.body})
			if r.status != 400 || r.apiError(t).ErrorCode != tt.wantCode {
				t.Fatalf("%d %s, want 400 %s", r.status, r.body, tt.wantCode)
			}
		})
	}
	// Nothing was revoked by the failed calls.
	var m struct{ CertState int }
	do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)}).decode(t, &m)
	if m.CertState != certStateActive {
		t.Fatalf("CertState %d after failed revokes", m.CertState)
	}
}

func TestRevokeHoldAndRelease(t *testing.T) {
	for _, p := range []Profile{Profile24, Profile25} {
		s := newTestServer(t, WithProfile(p))
		_, id := enrollOK(t, s, map[string]any{})
		if err := s.RevokeInConsole(id, reasonCertificateHold); err != nil {
			t.Fatal(err)
		}
		release := 7
		if p == Profile25 {
			release = 8
		}
		r := do(t, s, call{method: "POST", path: "/Certificates/Revoke", body: map[string]any{"CertificateIds": []int{id}, "Reason": release, "Comment": "release"}})
		if r.status != 200 {
			t.Fatalf("profile %d release with %d: %d %s", p, release, r.status, r.body)
		}
		var m struct {
			CertState         int
			RevocationEffDate *string
		}
		do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)}).decode(t, &m)
		if m.CertState != certStateActive || m.RevocationEffDate != nil {
			t.Fatalf("profile %d: after release %+v", p, m)
		}
	}
	if err := newTestServer(t).RevokeInConsole(424242, 0); err == nil {
		t.Fatal("RevokeInConsole of unknown id succeeded")
	}
}

func TestRevokeProfile10AnswersWithBody(t *testing.T) {
	s := newTestServer(t, WithProfile(Profile10))
	_, id := enrollOK(t, s, map[string]any{})
	r := do(t, s, call{method: "POST", path: "/Certificates/Revoke", body: map[string]any{"CertificateIds": []int{id}, "Reason": 0, "Comment": "c"}})
	var out struct{ RevokedIds []int }
	r.decode(t, &out)
	if r.status != http.StatusOK || len(out.RevokedIds) != 1 || out.RevokedIds[0] != id {
		t.Fatalf("%d %q", r.status, r.body)
	}
}
