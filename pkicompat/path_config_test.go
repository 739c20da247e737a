package pkicompat_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

func TestConfigReadUnconfiguredIs404(t *testing.T) {
	h := newHarness(t)
	if r := h.read("config"); r.status != http.StatusNotFound {
		t.Fatalf("want 404, got %d", r.status)
	}
}

func TestConfigRejectedWritesStoreNothing(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(*pkitest.Server)
		data   map[string]interface{}
		status int
		text   string
	}{
		{"missing url", nil, map[string]interface{}{"password": pkitest.Password}, 400, "invalid CA configuration: url is required"},
		{"not https", nil, map[string]interface{}{"url": "ftp://x", "password": pkitest.Password}, 400, "url must be an https URL"},
		{"wrong password", nil, map[string]interface{}{"url": "https://ca.test", "password": "nope"}, 400, "CA connection check failed, configuration not saved: the CA rejected the credentials"},
		{"unknown default CA", nil, map[string]interface{}{"url": "https://ca.test", "password": pkitest.Password, "ca": "Other"}, 400, `unknown CA "Other"`},
		{"CA unreachable", func(s *pkitest.Server) {
			s.FailCheck(&pkicompat.UnavailableError{Message: "dial tcp 10.0.0.1:443: connection refused"})
		}, map[string]interface{}{"url": "https://ca.test", "password": pkitest.Password}, 503, "connection refused"},
		{"CA timeout", func(s *pkitest.Server) {
			s.FailCheck(&pkicompat.UnavailableError{Message: "no answer within 30s", Timeout: true})
		}, map[string]interface{}{"url": "https://ca.test", "password": pkitest.Password}, 504, "no answer within 30s"},
		{"CA failure", func(s *pkitest.Server) {
			s.FailCheck(errors.New("HTTP 500 InternalError: boom"))
		}, map[string]interface{}{"url": "https://ca.test", "password": pkitest.Password}, 502, "HTTP 500 InternalError: boom"},
		{"bad bool", nil, map[string]interface{}{"url": "https://ca.test", "skip_verify": "maybe"}, 400, "skip_verify"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			mounted := h.storedEntries()
			if tc.setup != nil {
				tc.setup(h.ca)
			}
			mustFail(t, h.write("config", tc.data), tc.status, tc.text)
			if changed := h.changedSince(mounted); len(changed) != 0 {
				t.Fatalf("a rejected config write stored %v", changed)
			}
			if r := h.read("config"); r.status != http.StatusNotFound {
				t.Fatalf("config readable after a rejected write: %d", r.status)
			}
		})
	}
}

func TestConfigWriteReadMergeDelete(t *testing.T) {
	h := newHarness(t)
	r := h.write("config", map[string]interface{}{"url": "https://ca.test", "password": pkitest.Password, "scopes": "a,b"})
	mustOK(t, r)
	if r.resp == nil || len(r.resp.Warnings) != 1 || !strings.Contains(r.resp.Warnings[0], "no template configured") {
		t.Fatalf("want the connection check's warning, got %+v", r.resp)
	}
	// One field per write, as the seed documents, merges into what is stored.
	mustOK(t, h.write("config", map[string]interface{}{"template": "WebServer"}))
	mustOK(t, h.write("config", map[string]interface{}{"client_secret": "cs-value", "timeout": "90s"}))

	d := h.read("config").data(t)
	if str(t, d, "url") != "https://ca.test" || str(t, d, "template") != "WebServer" {
		t.Fatalf("merge lost fields: %v", d)
	}
	if got := num(t, d, "timeout"); got != 90 {
		t.Fatalf("timeout: want 90 seconds, got %d", got)
	}
	if got := num(t, d, "retries"); got != 2 {
		t.Fatalf("retries default: want 2, got %d", got)
	}
	if got := strList(t, d, "scopes"); strings.Join(got, ",") != "a,b" {
		t.Fatalf("scopes: %v", got)
	}
	if v, ok := d["skip_verify"].(bool); !ok || v {
		t.Fatalf("skip_verify: want false, got %T %v", d["skip_verify"], d["skip_verify"])
	}
	for _, hidden := range []string{"password", "client_secret", "skip_connection_check"} {
		if _, ok := d[hidden]; ok {
			t.Fatalf("config read returned %s", hidden)
		}
	}

	r = h.do("read", "config", map[string]interface{}{"show_hidden": "true"})
	d = r.data(t)
	if str(t, d, "password") != "<set>" || str(t, d, "client_secret") != "<set>" {
		t.Fatalf("show_hidden should only say the secrets are set: %v", d)
	}

	// Secrets never appear in the response in any form.
	for _, secret := range []string{pkitest.Password, "cs-value"} {
		for k, v := range d {
			if s, ok := v.(string); ok && strings.Contains(s, secret) {
				t.Fatalf("config read leaked a secret in %s", k)
			}
		}
	}

	before := h.ca.Closes()
	if r := h.do("delete", "config", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.errorText())
	}
	if h.ca.Closes() <= before {
		t.Fatal("deleting the config did not close the cached driver")
	}
	if r := h.read("config"); r.status != http.StatusNotFound {
		t.Fatalf("read after delete: want 404, got %d", r.status)
	}
}

func TestConfigShowHiddenReportsUnsetSecrets(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	d := h.do("read", "config", map[string]interface{}{"show_hidden": true}).data(t)
	if str(t, d, "password") != "<set>" || str(t, d, "client_secret") != "" {
		t.Fatalf("want password <set> and client_secret empty, got %v", d)
	}
}

func TestConfigSkipConnectionCheck(t *testing.T) {
	h := newHarness(t)
	h.ca.FailCheck(errors.New("would fail"))
	mustOK(t, h.write("config", map[string]interface{}{
		"url": "https://ca.test", "password": "wrong", "skip_connection_check": "true",
	}))
	d := h.read("config").data(t)
	if _, ok := d["skip_connection_check"]; ok {
		t.Fatal("skip_connection_check must not be stored")
	}
}

func TestConfigWriteReplacesDriver(t *testing.T) {
	h := newHarness(t, "CA One", "CA Two")
	h.configure(map[string]interface{}{"ca": "CA One"})
	h.webRole(nil)
	d := h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"}).data(t)
	if got := parseCertPEM(t, str(t, d, "issuing_ca")).Subject.CommonName; got != "CA One" {
		t.Fatalf("issued by %q", got)
	}
	mustOK(t, h.write("config", map[string]interface{}{"ca": "CA Two"}))
	d = h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"}).data(t)
	if got := parseCertPEM(t, str(t, d, "issuing_ca")).Subject.CommonName; got != "CA Two" {
		t.Fatalf("after changing the default CA, issued by %q", got)
	}
}

// TestConcurrentIssueWhileReconfiguring checks (under -race) that replacing the configuration
// never breaks or races with issuance in flight.
func TestConcurrentIssueWhileReconfiguring(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"key_type": "ec"})
	done := make(chan result, 8)
	for i := 0; i < 8; i++ {
		go func() {
			done <- h.write("issue/web", map[string]interface{}{"common_name": "c.example.com", "ttl": "1h"})
		}()
	}
	for i := 0; i < 4; i++ {
		mustOK(t, h.write("config", map[string]interface{}{"template": "WebServer"}))
	}
	for i := 0; i < 8; i++ {
		mustOK(t, <-done)
	}
	if got := len(h.certKeys()); got != 8 {
		t.Fatalf("want 8 stored certificates, got %d", got)
	}
}
