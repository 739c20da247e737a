package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync"
	"testing"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// logBuffer collects log output written from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes the JSON log lines.
func (b *logBuffer) lines(t *testing.T) []map[string]interface{} {
	t.Helper()
	var out []map[string]interface{}
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var line map[string]interface{}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		out = append(out, line)
	}
	return out
}

// findLine returns the first line with message msg whose fields include want.
func findLine(lines []map[string]interface{}, msg string, want map[string]interface{}) map[string]interface{} {
	for _, l := range lines {
		if l["@message"] != msg {
			continue
		}
		match := true
		for k, v := range want {
			if l[k] != v {
				match = false
			}
		}
		if match {
			return l
		}
	}
	return nil
}

// TestOperatorLogs mounts the plugin three times, configured with each secret-bearing
// authentication (password, OAuth client secret, static access token), with the backend logging
// as JSON into a buffer; issues and revokes on each and makes Command refuse one enrollment. The
// log must have an info line per issuance and revocation with mount, role, serial, CA, Command's
// certificate id, duration and outcome; a warning naming Command's HTTP status and ErrorCode for
// the refusal; and none of the configured secrets nor any issued private key.
func TestOperatorLogs(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	logs := &logBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace, JSONFormat: true})

	auths := map[string]map[string]interface{}{
		"basic": {"username": commandtest.DefaultUsername, "password": commandtest.DefaultPassword, "domain": commandtest.DefaultDomain},
		"oauth": {
			"client_id": commandtest.DefaultClientID, "client_secret": commandtest.DefaultClientSecret, "token_url": srv.TokenURL(),
			"audience": commandtest.DefaultAudience, "scopes": commandtest.DefaultScope,
		},
		"token": {"access_token": commandtest.DefaultStaticToken},
	}
	secrets := []string{commandtest.DefaultPassword, commandtest.DefaultClientSecret, commandtest.DefaultStaticToken}
	serials := map[string]string{}
	mounts := map[string]*pkitest.Mount{}
	for name, auth := range auths {
		m := pkitest.NewMountWithLogger(t, pkicompat.Factory(keyfactor.NewProvider()), nil, logical.TestSystemView(), logger.Named(name))
		m.MountPoint = name + "/"
		mounts[name] = m
		conf := map[string]interface{}{
			"url": srv.URL, "api_path": srv.APIPath, "template": commandtest.DefaultTemplate,
			"ca": commandtest.DefaultCAHost + `\` + commandtest.DefaultCALogicalName,
		}
		for k, v := range auth {
			conf[k] = v
		}
		mustHandle(t, m, logical.UpdateOperation, "config", conf)
		mustHandle(t, m, logical.UpdateOperation, "roles/web", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true})
		issued := mustHandle(t, m, logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": name + ".example.com"})
		keyPEM, _ := issued.Data["private_key"].(string)
		block, _ := pem.Decode([]byte(keyPEM))
		if block == nil {
			t.Fatalf("%s: issue answered no PEM private key", name)
		}
		// The key as PEM, and one line of its base64 body (a log could wrap or re-encode it).
		secrets = append(secrets, keyPEM, strings.Split(keyPEM, "\n")[2])
		serials[name], _ = issued.Data["serial_number"].(string)
		mustHandle(t, m, logical.UpdateOperation, "revoke", map[string]interface{}{"serial_number": serials[name]})
	}

	// Command refuses one enrollment with its error shape.
	srv.InjectFault(commandtest.Fault{
		Endpoint: "POST /Enrollment/CSR", Times: 1, Status: http.StatusBadRequest,
		Body: `{"ErrorCode":"0xA0110005","Message":"The requested template is not available for this CA."}`,
	})
	if _, resp, err := mounts["basic"].Handle(logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "refused.example.com"}); err == nil && (resp == nil || !resp.IsError()) {
		t.Fatal("issue succeeded although Command refused the enrollment")
	}

	lines := logs.lines(t)
	for name := range auths {
		mount := name + "/"
		for _, msg := range []string{"issue succeeded", "revoke succeeded"} {
			l := findLine(lines, msg, map[string]interface{}{"mount": mount, "serial": serials[name]})
			if l == nil {
				t.Errorf("%s: no %q line with serial %s in the log:\n%s", name, msg, serials[name], logs)
				continue
			}
			if l["@level"] != "info" || l["role"] != "web" || l["outcome"] != "success" {
				t.Errorf("%s: %q line: level %v, role %v, outcome %v; want info, web, success", name, msg, l["@level"], l["role"], l["outcome"])
			}
			for _, field := range []string{"certificate_id", "duration", "request_id"} {
				if _, ok := l[field]; !ok {
					t.Errorf("%s: %q line lacks %s: %v", name, msg, field, l)
				}
			}
			if id, _ := l["certificate_id"].(string); id == "" {
				t.Errorf("%s: %q line has no Command certificate id: %v", name, msg, l)
			}
		}
		for _, msg := range []string{"issue succeeded", "revoke succeeded"} {
			if l := findLine(lines, msg, map[string]interface{}{"mount": mount}); l != nil {
				if ca, _ := l["ca"].(string); !strings.Contains(ca, commandtest.DefaultCALogicalName) {
					t.Errorf("%s: %q line names CA %q, want Command's %s", name, msg, ca, commandtest.DefaultCALogicalName)
				}
			}
		}
	}
	refused := findLine(lines, "issue failed", map[string]interface{}{"mount": "basic/"})
	if refused == nil {
		t.Fatalf("no \"issue failed\" line for Command's refusal:\n%s", logs)
	}
	if refused["@level"] != "warn" || refused["ca_error_code"] != "0xA0110005" || refused["ca_http_status"] != float64(http.StatusBadRequest) || refused["outcome"] != "failure" {
		t.Errorf("refusal line: level %v, ca_error_code %v, ca_http_status %v, outcome %v; want warn, 0xA0110005, 400, failure",
			refused["@level"], refused["ca_error_code"], refused["ca_http_status"], refused["outcome"])
	}

	text := logs.String()
	for _, s := range secrets {
		if strings.Contains(text, strings.TrimSpace(s)) {
			t.Errorf("the log holds a secret (%.12s...)", s)
		}
	}
}

// mustHandle sends a request and fails the test unless it succeeds.
func mustHandle(t *testing.T, m *pkitest.Mount, op logical.Operation, path string, data map[string]interface{}) *logical.Response {
	t.Helper()
	_, resp, err := m.Handle(op, path, data)
	if err != nil || (resp != nil && resp.IsError()) {
		t.Fatalf("%s %s: %v %v", op, path, err, resp)
	}
	if resp == nil {
		return &logical.Response{}
	}
	return resp
}
