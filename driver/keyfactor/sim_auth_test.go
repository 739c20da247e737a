package keyfactor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Every auth method against every profile: the connection check and one signing succeed, except
// bearer tokens on Command 10, which only knows Active Directory identities.
func TestSimAuthMethods(t *testing.T) {
	t.Parallel()
	id := newClientIdentity(t)
	for _, profile := range allProfiles {
		srv := startSim(t, profile, id)
		for _, kind := range allAuthKinds {
			t.Run(fmt.Sprintf("v%d/%s", profile, kind), func(t *testing.T) {
				d := simDriver(t, simConf(srv, kind, id, nil))
				_, err := d.CheckConnection(context.Background())
				if bearerOnly(kind) && profile == commandtest.Profile10 {
					if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
						t.Fatalf("Command 10 with bearer auth: want a 401 error, got %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("CheckConnection: %v", err)
				}
				resp, err := d.Sign(context.Background(), signRequest(t, "auth.example.com"))
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				verifyIssued(t, srv, resp)
			})
		}
	}
}

func TestSimOAuthTokenLifecycle(t *testing.T) {
	t.Parallel()
	for _, profile := range allProfiles[1:] { // OAuth exists from Command 11
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile, nil)
			d := simDriver(t, simConf(srv, authKindOAuth, nil, nil))
			ctx := context.Background()
			for i := 0; i < 3; i++ {
				if _, err := d.Sign(ctx, signRequest(t, "oauth.example.com")); err != nil {
					t.Fatal(err)
				}
			}
			if got := srv.Counters().TokensIssued; got != 1 {
				t.Errorf("3 signings fetched %d tokens, want 1", got)
			}
			srv.ExpireTokens() // Command now rejects the cached token: one refresh, one retry
			srv.ResetCounters()
			if _, err := d.Sign(ctx, signRequest(t, "oauth.example.com")); err != nil {
				t.Fatalf("after token expiry: %v", err)
			}
			c := srv.Counters()
			if c.TokensIssued != 1 || c.Enrollments != 1 || c.Requests["POST /Enrollment/CSR"] != 2 {
				t.Errorf("after expiry: %d tokens, %d enrollments, %d enrollment requests; want 1, 1, 2", c.TokensIssued, c.Enrollments, c.Requests["POST /Enrollment/CSR"])
			}
		})
	}
}

func TestSimAuthFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		kind      string
		overrides map[string]interface{}
		want      []string
		forbidden []string
	}{
		{"wrong password", authKindBasic, map[string]interface{}{"password": "wrong-Passw0rd"}, []string{"HTTP 401", "credentials"}, []string{"wrong-Passw0rd"}},
		{"wrong domain", authKindBasic, map[string]interface{}{"domain": "OTHER"}, []string{"HTTP 401"}, nil},
		{"read-only user", authKindBasic, map[string]interface{}{"username": commandtest.ReadOnlyUsername, "password": commandtest.ReadOnlyPassword}, []string{"HTTP 403", "0xA0140002", "permission"}, []string{commandtest.ReadOnlyPassword}},
		{"wrong client secret", authKindOAuth, map[string]interface{}{"client_secret": "not-the-secret"}, []string{"token endpoint", "client_secret"}, []string{"not-the-secret"}},
		{"wrong audience", authKindOAuth, map[string]interface{}{"audience": "https://elsewhere.example.com"}, []string{"token endpoint", "audience"}, []string{commandtest.DefaultClientSecret}},
		{"wrong scope", authKindOAuth, map[string]interface{}{"scopes": "admin"}, []string{"token endpoint"}, []string{commandtest.DefaultClientSecret}},
		{"unknown static token", authKindToken, map[string]interface{}{"access_token": "expired-token-value"}, []string{"HTTP 401"}, []string{"expired-token-value"}},
	}
	for _, profile := range allProfiles[1:] {
		srv := startSim(t, profile, nil)
		for _, tc := range cases {
			t.Run(fmt.Sprintf("v%d/%s", profile, tc.name), func(t *testing.T) {
				d := simDriver(t, simConf(srv, tc.kind, nil, tc.overrides))
				before := srv.Counters().Enrollments
				_, err := d.Sign(context.Background(), signRequest(t, "fail.example.com"))
				if err == nil {
					t.Fatal("Sign succeeded")
				}
				var sc cadriver.StatusCoder
				if !errors.As(err, &sc) || sc.StatusCode() != http.StatusBadGateway {
					t.Errorf("status of %v: want 502 (the plugin's credentials, not the caller's request)", err)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				for _, f := range tc.forbidden {
					if strings.Contains(err.Error(), f) {
						t.Errorf("error %q leaks %q", err, f)
					}
				}
				if srv.Counters().Enrollments != before {
					t.Error("a failed authentication enrolled a certificate")
				}
			})
		}
	}
}

func TestSimTLSTrust(t *testing.T) {
	t.Parallel()
	srv := startSim(t, commandtest.Profile25, nil)
	other := startSim(t, commandtest.Profile25, nil)
	cases := []struct {
		name      string
		overrides map[string]interface{}
		wantErr   string
		wantWarn  string
	}{
		{"custom CA accepted", nil, "", ""},
		{"system roots only", map[string]interface{}{"command_cert_path": nil}, "command_cert_path", ""},
		{"wrong CA", map[string]interface{}{"command_cert_path": string(other.TLSCABundlePEM())}, "not trusted", ""},
		{"skip_verify", map[string]interface{}{"command_cert_path": nil, "skip_verify": true}, "", "skip_verify"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, warnings, err := NewProvider().NewDriver(configJSON(simConf(srv, authKindOAuth, nil, tc.overrides)))
			if err != nil {
				t.Fatal(err)
			}
			defer d.(cadriver.Closer).Close()
			if tc.wantWarn != "" && !strings.Contains(strings.Join(warnings, "\n"), tc.wantWarn) {
				t.Errorf("warnings %q lack %q", warnings, tc.wantWarn)
			}
			_, err = d.Sign(context.Background(), signRequest(t, "tls.example.com"))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Sign: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("want a TLS error naming %q, got %v", tc.wantErr, err)
			}
		})
	}
}

// A token that is about to expire is replaced before it is sent, so no request fails on it.
func TestSimOAuthRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	srv := startSim(t, commandtest.Profile25, nil, commandtest.WithTokenLifetime(5*time.Second))
	d := simDriver(t, simConf(srv, authKindOAuth, nil, nil))
	for i := 0; i < 3; i++ {
		if _, err := d.Sign(context.Background(), signRequest(t, "short.example.com")); err != nil {
			t.Fatal(err)
		}
	}
	c := srv.Counters()
	if c.TokensIssued != 3 || c.Requests["POST /Enrollment/CSR"] != 3 {
		t.Errorf("tokens %d, enrollment requests %d; want 3 and 3 (a fresh token each time, no rejected request)", c.TokensIssued, c.Requests["POST /Enrollment/CSR"])
	}
}
