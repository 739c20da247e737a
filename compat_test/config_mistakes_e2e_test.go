package compattest

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Issue 10, item 4, on a real Vault: a config write that fails on the operator's own input is a
// 4xx naming the field, never a 5xx; the value of a sensitive field is never echoed; nothing is
// saved. (The same cases run in-process in cmd/keyfactor's bad-input table.)
func TestConfigMistakesAreClientErrorsOnRealVault(t *testing.T) {
	env := startRealVault(t)
	if err := env.EnablePlugin("keyfactor"); err != nil {
		t.Fatal(err)
	}
	good := map[string]interface{}{
		"url":               env.Sim.URL,
		"api_path":          env.Sim.APIPath,
		"username":          env.Sim.Username,
		"password":          env.Sim.Password,
		"domain":            env.Sim.Domain,
		"ca":                env.Sim.CA,
		"template":          env.Sim.Template,
		"command_cert_path": env.Sim.CABundle,
	}
	simURL, err := url.Parse(env.Sim.URL)
	if err != nil {
		t.Fatal(err)
	}
	plainHTTP := *simURL
	plainHTTP.Scheme = "http"
	closed := closedLoopbackURL(t)
	// A key pasted without its PEM header: taken as a file path, and must not come back.
	const pastedKey = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETSECRETSECRET"

	for _, tc := range []struct {
		name      string
		change    map[string]interface{}
		wantField string
		secret    string
	}{
		{"wrong password", map[string]interface{}{"password": "not-the-password-7731"}, "password", "not-the-password-7731"},
		{"http to an HTTPS server", map[string]interface{}{"url": plainHTTP.String()}, "url", ""},
		{"closed port", map[string]interface{}{"url": closed}, "url", ""},
		{"api_path outside the API", map[string]interface{}{"api_path": "../../x"}, "api_path", ""},
		{"untrusted TLS CA", map[string]interface{}{"command_cert_path": ""}, "command_cert_path", ""},
		{"client_key that is no PEM", map[string]interface{}{"client_cert": pastedKey, "client_key": pastedKey}, "client_", pastedKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]interface{}{}
			for k, v := range good {
				body[k] = v
			}
			for k, v := range tc.change {
				body[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			status, _, raw, err := env.Do(ctx, http.MethodPost, "keyfactor/config", body, true)
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusBadRequest {
				t.Errorf("status %d, want 400: %s", status, raw)
			}
			if !strings.Contains(string(raw), tc.wantField) {
				t.Errorf("error does not name %q: %s", tc.wantField, raw)
			}
			if tc.secret != "" && strings.Contains(string(raw), tc.secret) {
				t.Errorf("error echoes the value of a sensitive field: %s", raw)
			}
			// Nothing was saved: the mount still has no config.
			status, _, raw, err = env.Do(ctx, http.MethodGet, "keyfactor/config", nil, true)
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusNotFound && strings.Contains(string(raw), env.Sim.URL) {
				t.Errorf("a refused config was saved: %d %s", status, raw)
			}
		})
	}
}

// closedLoopbackURL is an https URL on a loopback port nothing listens on.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "https", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}).String()
}
