package keyfactor

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseCertificateEntries(t *testing.T) {
	pki := newTestPKI(t)
	leaf := pki.leaf(t, newKey(t).Public(), "a.example.com", 10)
	crlf := strings.ReplaceAll(string(pemOf(leaf)), "\n", "\r\n")
	header := "subject=CN=a.example.com\r\nissuer=CN=Test Issuing\r\n" + crlf
	bundle := string(pemOf(pki.issuing)) + string(pemOf(pki.root))
	derB64 := base64.StdEncoding.EncodeToString(leaf.Raw)

	cases := []struct {
		name    string
		entries []string
		want    int
		wantErr bool
	}{
		{"crlf pem", []string{crlf}, 1, false},
		{"subject header text", []string{header}, 1, false},
		{"several blocks in one entry", []string{bundle}, 2, false},
		{"base64 der", []string{derB64}, 1, false},
		{"base64 der wrapped", []string{derB64[:40] + "\r\n" + derB64[40:]}, 1, false},
		{"empty entry", []string{""}, 0, false},
		{"garbage", []string{"not a certificate"}, 0, true},
		{"nil", nil, 0, false},
	}
	for _, tc := range cases {
		got, err := parseCertificateEntries(tc.entries)
		if (err != nil) != tc.wantErr || len(got) != tc.want {
			t.Errorf("%s: got %d certs, err %v; want %d, err %v", tc.name, len(got), err, tc.want, tc.wantErr)
		}
	}
}

func TestParseDownloadContent(t *testing.T) {
	pki := newTestPKI(t)
	leaf := pki.leaf(t, newKey(t).Public(), "a.example.com", 11)
	cases := []struct {
		name    string
		content string
		want    int
	}{
		{"p7b", base64.StdEncoding.EncodeToString(p7b(t, leaf, pki.issuing, pki.root)), 3},
		{"pem", base64.StdEncoding.EncodeToString(append(pemOf(leaf), pemOf(pki.issuing)...)), 2},
		{"der", base64.StdEncoding.EncodeToString(leaf.Raw), 1},
	}
	for _, tc := range cases {
		got, err := parseDownloadContent(tc.content)
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: got %d certs, err %v; want %d", tc.name, len(got), err, tc.want)
		}
	}
	if _, err := parseDownloadContent("!!!"); err == nil {
		t.Error("non-base64 content accepted")
	}
	if _, err := parseDownloadContent(base64.StdEncoding.EncodeToString([]byte("junk"))); err == nil {
		t.Error("junk content accepted")
	}
}

func TestChainOrderIgnoresPosition(t *testing.T) {
	pki := newTestPKI(t)
	key := newKey(t)
	leaf := pki.leaf(t, key.Public(), "a.example.com", 12)
	other := pki.leaf(t, newKey(t).Public(), "b.example.com", 13)
	csr := newCSR(t, key, "a.example.com")

	all := []*x509.Certificate{leaf, pki.issuing, pki.root, other}
	orders := [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {2, 0, 1, 1}, {3, 2, 1, 0}}
	for _, order := range orders {
		var answer []*x509.Certificate
		for _, i := range order {
			answer = append(answer, all[i])
		}
		gotLeaf, rest := splitLeaf(answer, csr.RawSubjectPublicKeyInfo)
		if !gotLeaf.Equal(leaf) {
			t.Errorf("order %v: leaf %q, want a.example.com", order, gotLeaf.Subject.CommonName)
			continue
		}
		chain := orderChain(gotLeaf, rest)
		if len(chain) != 2 || !chain[0].Equal(pki.issuing) || !chain[1].Equal(pki.root) {
			t.Errorf("order %v: chain %v, want issuing then root", order, subjects(chain))
		}
	}

	caChain := orderCAChain(nil, []*x509.Certificate{pki.root, pki.issuing})
	if len(caChain) != 2 || !caChain[0].Equal(pki.issuing) || !caChain[1].Equal(pki.root) {
		t.Errorf("CA chain %v, want issuing then root", subjects(caChain))
	}
	if got := orderChain(leaf, []*x509.Certificate{pki.root}); len(got) != 0 {
		t.Errorf("chain with a gap %v, want empty", subjects(got))
	}
}

func subjects(certs []*x509.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, c.Subject.CommonName)
	}
	return out
}

func TestFlexDecoding(t *testing.T) {
	var rec certificateRecord
	body := `{"Id":"42","CertState":2,"RevocationReason":null,"RevocationEffDate":"2025-03-04T05:06:07.1234567",
		"NotAfter":"2026-01-02T03:04:05Z","NotBefore":null,"SerialNumber":null,"IssuerDN":null,"Unknown":{"x":1},
		"CRLDistributionPoints":null}`
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.ID != 42 || rec.CertState != 2 || rec.RevocationReason != nil {
		t.Errorf("ids %+v", rec)
	}
	want := time.Date(2025, 3, 4, 5, 6, 7, 123456700, time.UTC)
	if !rec.RevocationEffDate.Equal(want) {
		t.Errorf("zone-less date %v, want %v (UTC)", rec.RevocationEffDate.Time, want)
	}
	if !rec.NotAfter.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || !rec.NotBefore.IsZero() {
		t.Errorf("dates %v %v", rec.NotAfter.Time, rec.NotBefore.Time)
	}
	for _, s := range []string{"2025-03-04T05:06:07+02:00", "2025-03-04T05:06:07", "2025-03-04 05:06:07", "2025-03-04"} {
		if _, err := parseLenientTime(s); err != nil {
			t.Errorf("parseLenientTime(%q): %v", s, err)
		}
	}
	var bad flexTime
	if err := json.Unmarshal([]byte(`"yesterday"`), &bad); err != nil || !bad.IsZero() {
		t.Errorf("unreadable date: %v, %v; want zero, nil", bad.Time, err)
	}
	var n flexInt
	for _, in := range []string{`7`, `"7"`, `7.0`} {
		if err := json.Unmarshal([]byte(in), &n); err != nil || n != 7 {
			t.Errorf("flexInt(%s) = %d, %v", in, n, err)
		}
	}
	if err := json.Unmarshal([]byte(`"x"`), &n); err == nil {
		t.Error(`flexInt("x") accepted`)
	}
}
