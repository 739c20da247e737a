package keyfactor

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// basicConf is a minimal valid configuration; tests copy and modify it.
func basicConf(overrides map[string]interface{}) map[string]interface{} {
	conf := map[string]interface{}{
		"url":      "https://command.example.com",
		"username": "vault-svc",
		"password": "Secret-Passw0rd",
		"domain":   "KEYFACTOR",
		"ca":       `ca.example.com\Issuing`,
		"template": "WebServer",
	}
	for k, v := range overrides {
		if v == nil {
			delete(conf, k)
		} else {
			conf[k] = v
		}
	}
	return conf
}

func TestNewDriverRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name    string
		conf    map[string]interface{}
		wantErr []string // substrings the error must contain
	}{
		{"missing url", basicConf(map[string]interface{}{"url": nil}), []string{"url is required"}},
		{"ftp url", basicConf(map[string]interface{}{"url": "ftp://host"}), []string{"url", "ftp"}},
		{"url with credentials", basicConf(map[string]interface{}{"url": "https://u:p@host"}), []string{"url", "credentials"}},
		{"url with query", basicConf(map[string]interface{}{"url": "https://host/?x=1"}), []string{"url", "query"}},
		{"no auth", map[string]interface{}{"url": "https://host"}, []string{"no authentication configured"}},
		{"basic without password", basicConf(map[string]interface{}{"password": nil}), []string{"incomplete", "password"}},
		{"domain only", map[string]interface{}{"url": "https://host", "domain": "KF"}, []string{"incomplete", "username", "password"}},
		{"oauth without secret", map[string]interface{}{"url": "https://host", "client_id": "c", "token_url": "https://idp/token"}, []string{"OAuth", "missing client_secret"}},
		{"audience alone", map[string]interface{}{"url": "https://host", "audience": "a"}, []string{"OAuth", "client_id", "client_secret", "token_url"}},
		{"basic and token", basicConf(map[string]interface{}{"access_token": "tok"}), []string{"conflicting", "basic", "access_token"}},
		{"token and client creds", map[string]interface{}{"url": "https://host", "access_token": "tok", "client_id": "c", "client_secret": "s", "token_url": "https://idp/t"}, []string{"conflicting", "static access token", "OAuth"}},
		{"cert without key", map[string]interface{}{"url": "https://host", "client_cert": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----"}, []string{"client certificate", "missing client_key"}},
		{"conflicting domains", basicConf(map[string]interface{}{"username": `OTHER\vault-svc`}), []string{"username and domain conflict"}},
		{"upn with domain", basicConf(map[string]interface{}{"username": "vault-svc@example.com"}), []string{"username and domain conflict"}},
		{"token url not https", map[string]interface{}{"url": "https://host", "client_id": "c", "client_secret": "s", "token_url": "ldap://idp"}, []string{"token_url"}},
		{"negative timeout", basicConf(map[string]interface{}{"timeout": -5}), []string{"timeout"}},
		{"unparsable timeout", basicConf(map[string]interface{}{"timeout": "soon"}), []string{"timeout"}},
		{"negative max_connections", basicConf(map[string]interface{}{"max_connections": -1}), []string{"max_connections", "between 1 and 1024"}},
		{"huge max_connections", basicConf(map[string]interface{}{"max_connections": 5000}), []string{"max_connections", "between 1 and 1024"}},
		{"max_connections not a number", basicConf(map[string]interface{}{"max_connections": "many"}), []string{"max_connections"}},
		{"ca with two backslashes", basicConf(map[string]interface{}{"ca": `a\b\c`}), []string{"ca"}},
		{"missing cert file", basicConf(map[string]interface{}{"command_cert_path": "/nonexistent/ca.pem"}), []string{"command_cert_path", "readable PEM file"}},
		{"api_path climbing out", basicConf(map[string]interface{}{"api_path": "../../x"}), []string{"api_path"}},
		{"api_path percent-encoded dots", basicConf(map[string]interface{}{"api_path": "KeyfactorAPI/%2e%2e/admin"}), []string{"api_path"}},
		{"api_path with a host", basicConf(map[string]interface{}{"api_path": "https://evil.example/KeyfactorAPI"}), []string{"api_path"}},
		{"api_path with a query", basicConf(map[string]interface{}{"api_path": "KeyfactorAPI?x=1"}), []string{"api_path"}},
		{"cert PEM garbage", basicConf(map[string]interface{}{"command_cert_path": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"}), []string{"command_cert_path"}},
		{"password as a list", basicConf(map[string]interface{}{"password": []interface{}{"Secret-Passw0rd", "x"}}), []string{"password"}},
		{"bad client cert", map[string]interface{}{"url": "https://host", "client_cert": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----", "client_key": "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY\n-----END PRIVATE KEY-----"}, []string{"client_cert/client_key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _, err := NewProvider().NewDriver(configJSON(tc.conf))
			if err == nil {
				t.Fatalf("NewDriver accepted %v (driver %T)", tc.conf, d)
			}
			if !hasStatus(err, http.StatusBadRequest) {
				t.Errorf("error %T is not a ValidationError: %v", err, err)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			for _, secret := range []string{"Secret-Passw0rd", "TOP-SECRET-KEY"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks a secret: %q", err)
				}
			}
		})
	}
}

func TestAPIBaseNormalisation(t *testing.T) {
	cases := []struct {
		url, apiPath string
		want         string
		wantWarning  string
	}{
		{"https://host", "", "https://host/KeyfactorAPI", ""},
		{"https://host/", "", "https://host/KeyfactorAPI", ""},
		{"https://host//", "/KeyfactorAPI/", "https://host/KeyfactorAPI", ""},
		{"host.example.com", "", "https://host.example.com/KeyfactorAPI", ""},
		{"host:8443", "Custom//API/", "https://host:8443/Custom/API", ""},
		{"HTTPS://host/proxy/", "KeyfactorAPI", "https://host/proxy/KeyfactorAPI", ""},
		{"https://host/KeyfactorAPI", "", "https://host/KeyfactorAPI", "already ends with the API path"},
		{"https://host/keyfactorapi/", "KeyfactorAPI", "https://host/keyfactorapi", ""},
		{"http://127.0.0.1:8080", "", "http://127.0.0.1:8080/KeyfactorAPI", "plain http"},
	}
	for _, tc := range cases {
		base, warnings, err := buildAPIBase(tc.url, tc.apiPath)
		if err != nil {
			t.Errorf("buildAPIBase(%q, %q): %v", tc.url, tc.apiPath, err)
			continue
		}
		if base.String() != tc.want {
			t.Errorf("buildAPIBase(%q, %q) = %q, want %q", tc.url, tc.apiPath, base, tc.want)
		}
		joined := strings.Join(warnings, "\n")
		if tc.wantWarning == "" && joined != "" || !strings.Contains(joined, tc.wantWarning) {
			t.Errorf("buildAPIBase(%q, %q) warnings %q, want %q", tc.url, tc.apiPath, joined, tc.wantWarning)
		}
		if got := base.JoinPath("Enrollment", "CSR").String(); got != tc.want+"/Enrollment/CSR" {
			t.Errorf("endpoint %q, want %q", got, tc.want+"/Enrollment/CSR")
		}
	}
}

func TestBasicUserName(t *testing.T) {
	cases := []struct{ user, domain, want string }{
		{"vault-svc", "KEYFACTOR", `KEYFACTOR\vault-svc`},
		{`KEYFACTOR\vault-svc`, "", `KEYFACTOR\vault-svc`},
		{`KEYFACTOR\vault-svc`, "keyfactor", `KEYFACTOR\vault-svc`},
		{"vault-svc@keyfactor.lab", "", "vault-svc@keyfactor.lab"},
		{"vault-svc", "", "vault-svc"},
	}
	for _, tc := range cases {
		got, err := basicUserName(tc.user, tc.domain)
		if err != nil || got != tc.want {
			t.Errorf("basicUserName(%q, %q) = %q, %v; want %q", tc.user, tc.domain, got, err, tc.want)
		}
	}
}

func TestConfigDecoding(t *testing.T) {
	cases := []struct {
		name        string
		timeout     interface{}
		scopes      interface{}
		wantTimeout time.Duration
		wantScopes  []string
	}{
		{"seconds int", 30, nil, 30 * time.Second, nil},
		{"json number", json.Number("45"), "a, b,,c", 45 * time.Second, []string{"a", "b", "c"}},
		{"float", float64(2.5), []interface{}{"x", "y"}, 2500 * time.Millisecond, []string{"x", "y"}},
		{"duration string", "1m30s", []string{"s"}, 90 * time.Second, []string{"s"}},
		{"numeric string", "12", "", 12 * time.Second, nil},
		{"unset", nil, nil, DefaultTimeout, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conf := map[string]interface{}{
				"url": "https://host", "client_id": "c", "client_secret": "s", "token_url": "https://idp/token",
			}
			if tc.timeout != nil {
				conf["timeout"] = tc.timeout
			}
			if tc.scopes != nil {
				conf["scopes"] = tc.scopes
			}
			cfg, _, err := decodeConfig(configJSON(conf))
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := validateConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if s.timeout != tc.wantTimeout {
				t.Errorf("timeout %v, want %v", s.timeout, tc.wantTimeout)
			}
			if strings.Join(cfg.Scopes, "|") != strings.Join(tc.wantScopes, "|") {
				t.Errorf("scopes %q, want %q", cfg.Scopes, tc.wantScopes)
			}
		})
	}
}

func TestNewDriverWarnings(t *testing.T) {
	dir := t.TempDir()
	pki := newTestPKI(t)
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pemOf(pki.root), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		conf map[string]interface{}
		want []string
	}{
		{"skip_verify", basicConf(map[string]interface{}{"skip_verify": true}), []string{"skip_verify is set"}},
		{"skip_verify with cert", basicConf(map[string]interface{}{"skip_verify": true, "command_cert_path": caFile}), []string{"skip_verify is set", "command_cert_path has no effect"}},
		{"no defaults", basicConf(map[string]interface{}{"ca": nil, "template": nil}), []string{"ca is not set", "template is not set"}},
		{"unknown field", basicConf(map[string]interface{}{"colour": "blue"}), []string{"colour"}},
		{"inline cert ok", basicConf(map[string]interface{}{"command_cert_path": string(pemOf(pki.root))}), nil},
		{"clean", basicConf(nil), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, warnings, err := NewProvider().NewDriver(configJSON(tc.conf))
			if err != nil {
				t.Fatal(err)
			}
			defer d.(cadriver.Closer).Close()
			joined := strings.Join(warnings, "\n")
			if len(tc.want) == 0 && len(warnings) != 0 {
				t.Errorf("unexpected warnings %q", joined)
			}
			for _, w := range tc.want {
				if !strings.Contains(joined, w) {
					t.Errorf("warnings %q lack %q", joined, w)
				}
			}
		})
	}
}

func TestConfigFieldsDeclareSecretsSensitive(t *testing.T) {
	sensitive := map[string]bool{}
	names := map[string]bool{}
	for _, f := range NewProvider().ConfigFields() {
		names[f.Name] = true
		sensitive[f.Name] = f.Sensitive
	}
	for _, n := range []string{"url", "api_path", "ca", "template", "username", "password", "domain", "client_id", "client_secret", "token_url", "scopes", "audience", "access_token", "skip_verify", "command_cert_path", "client_cert", "client_key", "timeout", "max_connections"} {
		if !names[n] {
			t.Errorf("field %q not declared", n)
		}
	}
	for n, s := range sensitive {
		want := n == "password" || n == "client_secret" || n == "access_token" || n == "client_key"
		if s != want {
			t.Errorf("field %q sensitive=%v, want %v", n, s, want)
		}
	}
}

// A stored value of the wrong JSON type is refused naming the field, never echoing the value
// (it may be a secret).
func TestConfigDecodingNamesTheFieldNotTheValue(t *testing.T) {
	for _, tc := range []struct {
		raw   string
		field string
	}{
		{`{"url":"https://host","username":"u","password":918273645}`, "password"},
		{`{"url":"https://host","client_secret":["918273645"]}`, "client_secret"},
		{`{"url":"https://host","scopes":{"a":"918273645"}}`, "scopes"},
		{`{"url":"https://host","timeout":{"s":918273645}}`, "timeout"},
		{`["918273645"]`, "JSON object"},
	} {
		_, _, err := NewProvider().NewDriver(json.RawMessage(tc.raw))
		if err == nil || !strings.Contains(err.Error(), tc.field) || strings.Contains(err.Error(), "918273645") {
			t.Errorf("%s: %v, want an error naming %q without the value", tc.raw, err, tc.field)
		}
		if !hasStatus(err, http.StatusBadRequest) {
			t.Errorf("%s: %v is not a 400", tc.raw, err)
		}
	}
}
