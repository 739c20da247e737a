package keyfactor

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestChainCacheTTLAndReplacement(t *testing.T) {
	pki := newTestPKI(t)
	renewed := newTestPKI(t)
	c := newChainCache()
	now := time.Now()
	c.now = func() time.Time { return now }

	c.offer(`host\CA`, []*x509.Certificate{pki.issuing, pki.root})
	if got := c.get("ca"); len(got) != 2 || !got[0].Equal(pki.issuing) {
		t.Fatalf("lookup by logical name, other case: %v", subjects(got))
	}
	c.offer("CA", []*x509.Certificate{renewed.issuing, renewed.root})
	if got := c.get(`host\ca`); len(got) != 2 || !got[0].Equal(renewed.issuing) {
		t.Errorf("a newer chain did not replace the cached one: %v", subjects(got))
	}
	now = now.Add(chainTTL + time.Second)
	if got := c.get("CA"); got != nil {
		t.Errorf("expired chain served: %v", subjects(got))
	}
}

func TestCRLCachedUntilNextUpdate(t *testing.T) {
	pki := newTestPKI(t)
	var fetches atomic.Int32
	var crl atomic.Value
	crl.Store(pki.crl(t, time.Hour, 5))
	var d *keyfactorDriver
	d, srv := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/CRL/Test%20Issuing.crl" || r.URL.Path == "/crl/issuing.crl" {
			if r.Header.Get("Authorization") != "" {
				t.Error("credentials sent to a CRL distribution point")
			}
			fetches.Add(1)
			_, _ = w.Write(crl.Load().([]byte))
			return
		}
		t.Errorf("unexpected request %s", r.URL)
		w.WriteHeader(http.StatusNotFound)
	}, nil)
	leaf := pki.leaf(t, newKey(t).Public(), "a.example.com", 30, srv.URL+"/crl/issuing.crl")
	d.chains.offer("", []*x509.Certificate{pki.issuing, pki.root})
	d.chains.offer(d.DefaultCA(), []*x509.Certificate{pki.issuing, pki.root})
	d.rememberCDPs(d.DefaultCA(), leaf)

	now := time.Now()
	d.crls.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if _, err := d.CRL(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	}
	if fetches.Load() != 1 {
		t.Errorf("%d fetches before NextUpdate, want 1", fetches.Load())
	}
	now = now.Add(2 * time.Hour)
	if _, err := d.CRL(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if fetches.Load() != 2 {
		t.Errorf("%d fetches after NextUpdate, want 2", fetches.Load())
	}

	// A CRL signed by another CA is refused.
	other := newTestPKI(t)
	crl.Store(other.crl(t, time.Hour))
	now = now.Add(2 * time.Hour)
	if _, err := d.CRL(context.Background(), ""); err == nil {
		t.Error("CRL of another CA accepted")
	}
}

func TestSearchPagesUntilShortPage(t *testing.T) {
	var mu sync.Mutex
	var pages []int
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("pq.pageReturned"))
		size, _ := strconv.Atoi(q.Get("pq.returnLimit"))
		mu.Lock()
		pages = append(pages, page)
		mu.Unlock()
		n := size
		if page == 3 {
			n = 2
		}
		var out []map[string]interface{}
		for i := 0; i < n; i++ {
			out = append(out, map[string]interface{}{
				"Id": page*1000 + i, "SerialNumber": strconv.FormatInt(int64(page*1000+i), 16), "CertState": 2,
				"RevocationEffDate": "2025-06-01T00:00:00", "RevocationReason": 999,
			})
		}
		_ = json.NewEncoder(w).Encode(out)
	}, nil)
	got, err := d.RevokedSince(context.Background(), "", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2*searchPageSize+2 || len(pages) != 3 || pages[2] != 3 {
		t.Errorf("got %d records over pages %v", len(got), pages)
	}
	if got[0].RevokedAt.IsZero() || got[0].SerialNumber.Int64() != 1000 {
		t.Errorf("first record %+v", got[0])
	}
}

func TestCheckEnrollmentContext(t *testing.T) {
	ctx := &csrContext{
		Templates: []contextTemplate{
			{Name: "WebServer", CAs: []contextCA{{Name: `ca.example.com\Issuing`}}},
			{Name: "Other", DisplayName: "Other Display", CAs: []contextCA{{Name: `ca.example.com\Second`}}},
		},
		StandaloneCAs: []contextCA{{Name: `solo.example.com\Solo`}},
	}
	cases := []struct {
		ca, template string
		wantErr      string
	}{
		{`ca.example.com\Issuing`, "WebServer", ""},
		{"issuing", "webserver", ""},
		{"Second", "Other Display", ""},
		{`solo.example.com\Solo`, "WebServer", ""},
		{"Second", "WebServer", `not allowed for template "WebServer"`},
		{`other.example.com\Issuing`, "WebServer", "not allowed"},
		{"Issuing", "Missing", `template "Missing" is not available`},
		{"Nowhere", "", "not available for CSR enrollment"},
		{"Solo", "", ""},
	}
	for _, tc := range cases {
		_, err := checkEnrollmentContext(ctx, tc.ca, tc.template)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("checkEnrollmentContext(%q, %q) = %v, want %q", tc.ca, tc.template, err, tc.wantErr)
		}
	}
}

// When the CA's own certificate is not in the inventory under its logical name, the chain comes
// from a certificate the CA issued, downloaded as P7B and ordered by key identifiers.
func TestCAChainFromIssuedCertificate(t *testing.T) {
	pki := newTestPKI(t)
	leaf := pki.leaf(t, newKey(t).Public(), "a.example.com", 40)
	var mu sync.Mutex
	var queries []string
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/KeyfactorAPI/Certificates":
			q := r.URL.Query().Get("pq.queryString")
			mu.Lock()
			queries = append(queries, q)
			mu.Unlock()
			if q == `CA -eq "Issuing"` {
				_, _ = w.Write([]byte(`[{"Id":40,"SerialNumber":"28"}]`))
				return
			}
			_, _ = w.Write([]byte(`[]`))
		case "/KeyfactorAPI/Certificates/Download":
			var body downloadRequest
			_ = json.NewDecoder(r.Body).Decode(&body)
			if body.CertID != 40 || !body.IncludeChain || r.Header.Get("x-certificateformat") != "P7B" {
				t.Errorf("download request %+v format %q", body, r.Header.Get("x-certificateformat"))
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"Content": base64.StdEncoding.EncodeToString(p7b(t, pki.root, leaf, pki.issuing))})
		default:
			t.Errorf("unexpected %s", r.URL.Path)
		}
	}, nil)
	chain, err := d.CAChain(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || !chain[0].Equal(pki.issuing) || !chain[1].Equal(pki.root) {
		t.Errorf("chain %v", subjects(chain))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queries) != 2 || queries[0] != `CertState -eq 6 AND IssuedCN -eq "Issuing"` {
		t.Errorf("queries %q", queries)
	}
	if _, err := d.CAChain(context.Background(), `bad"name`); err == nil || !strings.Contains(err.Error(), "quote") {
		t.Errorf("CA name with a quote: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	cases := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"3600", maxRetryAfter, true},
		{"-1", 0, true},
		{time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.value != "" {
			h.Set("Retry-After", tc.value)
		}
		got, ok := retryAfter(h)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.ok)
		}
	}
}
