package commandtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

func TestBasicAuth(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name, user, pass string
		noAuth           bool
		want             int
	}{
		{"domain backslash user", `KEYFACTOR\vault-svc`, DefaultPassword, false, 200},
		{"plain user", "vault-svc", DefaultPassword, false, 200},
		{"domain case-insensitive", `keyfactor\VAULT-SVC`, DefaultPassword, false, 200},
		{"upn form", "vault-svc@keyfactor.kfpki.test", DefaultPassword, false, 200},
		{"wrong password", `KEYFACTOR\vault-svc`, "nope", false, 401},
		{"wrong domain", `OTHER\vault-svc`, DefaultPassword, false, 401},
		{"unknown user", `KEYFACTOR\mallory`, DefaultPassword, false, 401},
		{"read-only user", `KEYFACTOR\auditor`, ReadOnlyPassword, false, 200},
		{"no credentials", "", "", true, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{method: "GET", path: "/Status/Endpoints", user: tt.user, pass: tt.pass, noAuth: tt.noAuth})
			if r.status != tt.want {
				t.Fatalf("status %d, want %d", r.status, tt.want)
			}
			if tt.want == 401 {
				if len(r.body) != 0 {
					t.Fatalf("401 body must be empty, got %q", r.body)
				}
				if !strings.Contains(strings.Join(r.header.Values("WWW-Authenticate"), ","), "Basic") {
					t.Fatalf("WWW-Authenticate = %v", r.header.Values("WWW-Authenticate"))
				}
			}
		})
	}
}

func TestUnauthorizedBeforeHeaderCheck(t *testing.T) {
	s := newTestServer(t)
	r := do(t, s, call{method: "GET", path: "/Status/Endpoints", noAuth: true, headers: map[string]string{"x-keyfactor-requested-with": ""}})
	if r.status != 401 {
		t.Fatalf("status %d, want 401", r.status)
	}
}

func TestPermissions(t *testing.T) {
	s := newTestServer(t)
	auditor := func(c call) call { c.user, c.pass = DefaultDomain+`\`+ReadOnlyUsername, ReadOnlyPassword; return c }
	tests := []struct {
		name string
		c    call
		want int
	}{
		{"auditor may search", auditor(call{method: "GET", path: "/Certificates"}), 200},
		{"auditor may read metadata", auditor(call{method: "GET", path: "/MetadataFields"}), 200},
		{"auditor may not enroll", auditor(call{method: "POST", path: "/Enrollment/CSR", body: map[string]any{"CSR": "x"}}), 403},
		{"auditor may not revoke", auditor(call{method: "POST", path: "/Certificates/Revoke", body: map[string]any{"CertificateIds": []int{1}}}), 403},
		{"auditor may not approve", auditor(call{method: "POST", path: "/Workflow/Certificates/Approve", body: []int{1}}), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, tt.c)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if tt.want == 403 {
				e := r.apiError(t)
				if e.ErrorCode != codePermissionDenied || e.Message != `User KEYFACTOR\auditor doesn't have the required permission` {
					t.Fatalf("403 error %+v", e)
				}
				if !strings.Contains(string(r.body), `doesn\u0027t`) {
					t.Fatalf("apostrophe not escaped like System.Text.Json: %s", r.body)
				}
			}
		})
	}
}

// tokenRequest posts a client-credentials request by hand.
func tokenRequest(t *testing.T, s *Server, form url.Values, basicID, basicSecret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", s.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestTokenEndpoint(t *testing.T) {
	s := newTestServer(t)
	base := func(extra map[string]string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}}
		for k, val := range extra {
			v.Set(k, val)
		}
		return v
	}
	tests := []struct {
		name              string
		form              url.Values
		basicID, basicSec string
		want              int
		wantErr           string
	}{
		{"basic client auth", base(nil), DefaultClientID, DefaultClientSecret, 200, ""},
		{"form client auth", base(map[string]string{"client_id": DefaultClientID, "client_secret": DefaultClientSecret}), "", "", 200, ""},
		{"scope and audience", base(map[string]string{"scope": DefaultScope, "audience": DefaultAudience}), DefaultClientID, DefaultClientSecret, 200, ""},
		{"wrong secret", base(nil), DefaultClientID, "bad", 401, "invalid_client"},
		{"unknown client", base(map[string]string{"client_id": "x", "client_secret": "y"}), "", "", 401, "invalid_client"},
		{"bad scope", base(map[string]string{"scope": "admin"}), DefaultClientID, DefaultClientSecret, 400, "invalid_scope"},
		{"bad audience", base(map[string]string{"audience": "https://other"}), DefaultClientID, DefaultClientSecret, 400, "invalid_target"},
		{"bad grant", url.Values{"grant_type": {"password"}}, DefaultClientID, DefaultClientSecret, 400, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := tokenRequest(t, s, tt.form, tt.basicID, tt.basicSec)
			if status != tt.want {
				t.Fatalf("status %d, want %d (%v)", status, tt.want, out)
			}
			if tt.wantErr != "" && out["error"] != tt.wantErr {
				t.Fatalf("error %v, want %s", out["error"], tt.wantErr)
			}
			if tt.want == 200 {
				tok, _ := out["access_token"].(string)
				if tok == "" || out["token_type"] != "Bearer" || out["expires_in"].(float64) != 3600 {
					t.Fatalf("token response %v", out)
				}
				if r := do(t, s, call{method: "GET", path: "/Status/Endpoints", bearer: tok}); r.status != 200 {
					t.Fatalf("issued token rejected: %d", r.status)
				}
			}
		})
	}
	if got := s.Counters().TokensIssued; got != 3 {
		t.Fatalf("TokensIssued = %d, want 3", got)
	}
}

func TestOAuthWithx_oauth2AndExpiry(t *testing.T) {
	s := newTestServer(t)
	cfg := clientcredentials.Config{
		ClientID: DefaultClientID, ClientSecret: DefaultClientSecret, TokenURL: s.TokenURL(),
		Scopes: []string{DefaultScope}, EndpointParams: url.Values{"audience": {DefaultAudience}},
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())
	tok, err := cfg.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, s, call{method: "GET", path: "/Certificates", bearer: tok.AccessToken}); r.status != 200 {
		t.Fatalf("bearer search: %d %s", r.status, r.body)
	}
	s.ExpireTokens()
	if r := do(t, s, call{method: "GET", path: "/Certificates", bearer: tok.AccessToken}); r.status != 401 {
		t.Fatalf("expired token answered %d", r.status)
	}
	if r := do(t, s, call{method: "GET", path: "/Certificates", bearer: DefaultStaticToken}); r.status != 200 {
		t.Fatalf("static token after ExpireTokens: %d", r.status)
	}
	if r := do(t, s, call{method: "GET", path: "/Certificates", bearer: "forged"}); r.status != 401 {
		t.Fatalf("forged token answered %d", r.status)
	}
}

func TestTokenLifetime(t *testing.T) {
	s := newTestServer(t, WithTokenLifetime(time.Nanosecond))
	status, out := tokenRequest(t, s, url.Values{"grant_type": {"client_credentials"}}, DefaultClientID, DefaultClientSecret)
	if status != 200 || out["expires_in"].(float64) != 1 {
		t.Fatalf("status %d out %v", status, out)
	}
	if r := do(t, s, call{method: "GET", path: "/Status/Endpoints", bearer: out["access_token"].(string)}); r.status != 401 {
		t.Fatalf("token past its lifetime answered %d", r.status)
	}
}

func TestOAuthClientPermissions(t *testing.T) {
	s := newTestServer(t,
		WithOAuthClients(OAuthClient{ClientID: "reader", ClientSecret: "s", Permissions: []string{PermCertificatesRead}}),
		WithStaticTokens("tok-a", "tok-b"))
	status, out := tokenRequest(t, s, url.Values{"grant_type": {"client_credentials"}}, "reader", "s")
	if status != 200 {
		t.Fatalf("token status %d", status)
	}
	tok := out["access_token"].(string)
	if r := do(t, s, call{method: "GET", path: "/Certificates", bearer: tok}); r.status != 200 {
		t.Fatalf("search: %d", r.status)
	}
	r := do(t, s, call{method: "POST", path: "/Certificates/Revoke", bearer: tok, body: map[string]any{"CertificateIds": []int{1}}})
	if r.status != 403 || r.apiError(t).Message != "User reader doesn't have the required permission" {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	for _, st := range []string{"tok-a", "tok-b"} {
		if r := do(t, s, call{method: "GET", path: "/Certificates", bearer: st}); r.status != 200 {
			t.Fatalf("static %s: %d", st, r.status)
		}
	}
	if r := do(t, s, call{method: "GET", path: "/Certificates", bearer: DefaultStaticToken}); r.status != 401 {
		t.Fatalf("replaced default static token still accepted: %d", r.status)
	}
}

func TestProfile10RejectsBearer(t *testing.T) {
	s := newTestServer(t, WithProfile(Profile10))
	r := do(t, s, call{method: "GET", path: "/Status/Endpoints", bearer: DefaultStaticToken})
	if r.status != 401 {
		t.Fatalf("bearer on Command 10: %d", r.status)
	}
	if strings.Contains(strings.Join(r.header.Values("WWW-Authenticate"), ","), "Bearer") {
		t.Fatal("Command 10 must not offer Bearer")
	}
	if r := do(t, s, call{method: "GET", path: "/Status/Endpoints"}); r.status != 200 {
		t.Fatalf("basic on Command 10: %d", r.status)
	}
}

func TestClientCertificateAuth(t *testing.T) {
	// A client CA and one client certificate whose CN maps to the default user.
	ca := testcerts.NewRootCA(t, "client CA", testcerts.ECKey(t))
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	clientCert := func(cn string) tls.Certificate {
		key := testcerts.ECKey(t)
		tmpl := testcerts.LeafTemplate(t, cn)
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		return tls.Certificate{Certificate: [][]byte{ca.Issue(t, tmpl, key.Public()).Raw}, PrivateKey: key}
	}
	s := NewTLSServer(WithClientCertAuth(pool, map[string]string{"svc-client": DefaultUsername, "audit-client": ReadOnlyUsername}))
	defer s.Close()

	tests := []struct {
		name   string
		cert   *tls.Certificate
		path   string
		method string
		want   int
	}{
		{"mapped cert", ptr(clientCert("svc-client")), "/Status/Endpoints", "GET", 200},
		{"unmapped cert", ptr(clientCert("stranger")), "/Status/Endpoints", "GET", 401},
		{"no cert", nil, "/Status/Endpoints", "GET", 401},
		{"read-only cert may not revoke", ptr(clientCert("audit-client")), "/Certificates/Revoke", "POST", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := s.Client().Transport.(*http.Transport).Clone()
			if tt.cert != nil {
				tr.TLSClientConfig.Certificates = []tls.Certificate{*tt.cert}
			}
			client := &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			req, _ := http.NewRequest(tt.method, s.APIURL()+tt.path, strings.NewReader(`{"CertificateIds":[1],"Comment":"x"}`))
			req.Header.Set("x-keyfactor-requested-with", "APIClient")
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
