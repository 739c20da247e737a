package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// mountedPlugin is the backend exactly as this binary serves it, on in-memory storage.
type mountedPlugin struct {
	t     testing.TB
	mount *pkitest.Mount
}

func newPlugin(t testing.TB) *mountedPlugin {
	t.Helper()
	m := pkitest.NewMount(t, pkicompat.Factory(keyfactor.NewProvider()), nil, logical.TestSystemView())
	return &mountedPlugin{t: t, mount: m}
}

// do sends one request and returns the HTTP status Vault would answer and the error text.
func (p *mountedPlugin) do(op logical.Operation, path string, data map[string]interface{}) (int, string) {
	p.t.Helper()
	req, resp, err := p.mount.Handle(op, path, data)
	status, rerr := logical.RespondErrorCommon(req, resp, err)
	if rerr == nil {
		if status == 0 {
			status = http.StatusOK
		}
		return status, ""
	}
	logical.AdjustErrorStatusCode(&status, rerr)
	return status, rerr.Error()
}

func (p *mountedPlugin) configure(srv *commandtest.Server, password string) {
	p.t.Helper()
	status, msg := p.do(logical.UpdateOperation, "config", map[string]interface{}{
		"url": srv.URL, "username": commandtest.DefaultUsername, "password": password,
		"domain": commandtest.DefaultDomain, "ca": commandtest.DefaultCAHost + `\` + commandtest.DefaultCALogicalName,
		"template": commandtest.DefaultTemplate, "skip_connection_check": true,
	})
	if status >= 300 {
		p.t.Fatalf("config write: %d %s", status, msg)
	}
	if status, msg := p.do(logical.UpdateOperation, "roles/web", map[string]interface{}{
		"allowed_domains": "example.com", "allow_subdomains": true,
	}); status >= 300 {
		p.t.Fatalf("role write: %d %s", status, msg)
	}
}

// countCerts is how many certificate records the mount holds.
func (p *mountedPlugin) countCerts() int {
	p.t.Helper()
	keys, err := p.mount.Storage.List(context.Background(), "certs/")
	if err != nil {
		p.t.Fatal(err)
	}
	return len(keys)
}

// badInputCase is one request of TestBadInputThroughThePlugin and the answer it must get.
type badInputCase struct {
	name       string
	setup      func(p *mountedPlugin, srv *commandtest.Server)
	op         logical.Operation // Update when empty
	path       string
	data       map[string]interface{}
	wantStatus int
	wantText   []string
	// Config writes: tls serves Command over HTTPS; configWith builds the written config
	// from the server (path is then "config").
	tls        bool
	configWith func(srv *commandtest.Server) map[string]interface{}
	// secret must not appear in the answer (a sensitive field's value).
	secret string
}

// TestBadInputThroughThePlugin: every bad input of the walking skeleton gets a clear answer
// from the assembled plugin — 4xx naming the caller's mistake, 5xx naming Command for Command's
// failures — without a panic, without storing anything, and without echoing the password.
func TestBadInputThroughThePlugin(t *testing.T) {
	const wrongPassword = "not-the-Passw0rd"
	cases := []badInputCase{
		{
			name:       "unknown role",
			setup:      func(p *mountedPlugin, srv *commandtest.Server) { p.configure(srv, commandtest.DefaultPassword) },
			path:       "issue/nope",
			data:       map[string]interface{}{"common_name": "www.example.com"},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"unknown role: nope"},
		},
		{
			name:       "name outside the role",
			setup:      func(p *mountedPlugin, srv *commandtest.Server) { p.configure(srv, commandtest.DefaultPassword) },
			path:       "issue/web",
			data:       map[string]interface{}{"common_name": "www.other.com"},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"common name www.other.com not allowed by this role"},
		},
		{
			name:       "unparsable CSR",
			setup:      func(p *mountedPlugin, srv *commandtest.Server) { p.configure(srv, commandtest.DefaultPassword) },
			path:       "sign/web",
			data:       map[string]interface{}{"csr": "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS\n-----END CERTIFICATE REQUEST-----", "common_name": "www.example.com"},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"certificate request could not be parsed"},
		},
		{
			name:       "missing config",
			setup:      func(p *mountedPlugin, srv *commandtest.Server) {},
			path:       "issue/web",
			data:       map[string]interface{}{"common_name": "www.example.com"},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"unknown role: web"},
		},
		{
			name: "missing config with a role",
			setup: func(p *mountedPlugin, srv *commandtest.Server) {
				if status, msg := p.do(logical.UpdateOperation, "roles/web", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true}); status >= 300 {
					t.Fatalf("role write: %d %s", status, msg)
				}
			},
			path:       "issue/web",
			data:       map[string]interface{}{"common_name": "www.example.com"},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"not configured"},
		},
		{
			name:       "wrong Command password",
			setup:      func(p *mountedPlugin, srv *commandtest.Server) { p.configure(srv, wrongPassword) },
			path:       "issue/web",
			data:       map[string]interface{}{"common_name": "www.example.com"},
			wantStatus: http.StatusBadGateway,
			wantText:   []string{"Keyfactor Command", "401"},
		},
		{
			name: "Command unreachable",
			setup: func(p *mountedPlugin, srv *commandtest.Server) {
				p.configure(srv, commandtest.DefaultPassword)
				srv.Close()
			},
			path:       "issue/web",
			data:       map[string]interface{}{"common_name": "www.example.com"},
			wantStatus: http.StatusServiceUnavailable,
			wantText:   []string{"Keyfactor Command"},
		},
		// Config writes that fail on the operator's own input answer 400 naming the field, and
		// nothing is saved (issue 10 items 2, 4, 5).
		{
			name:       "config: wrong password",
			configWith: func(srv *commandtest.Server) map[string]interface{} { return basicConfig(srv.URL, wrongPassword) },
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"password", "401"},
		},
		{
			name: "config: http:// to an HTTPS server",
			tls:  true,
			configWith: func(srv *commandtest.Server) map[string]interface{} {
				return basicConfig(strings.Replace(srv.URL, "https://", "http://", 1), commandtest.DefaultPassword)
			},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"url"},
		},
		{
			name: "config: closed port",
			configWith: func(srv *commandtest.Server) map[string]interface{} {
				return basicConfig(closedPortURL(t), commandtest.DefaultPassword)
			},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"url", "unreachable"},
		},
		{
			name: "config: api_path leaving the base",
			configWith: func(srv *commandtest.Server) map[string]interface{} {
				c := basicConfig(srv.URL, commandtest.DefaultPassword)
				c["api_path"] = "../../x"
				return c
			},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"api_path"},
		},
		{
			name: "config: untrusted TLS CA",
			tls:  true,
			configWith: func(srv *commandtest.Server) map[string]interface{} {
				return basicConfig(srv.URL, commandtest.DefaultPassword)
			},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"command_cert_path", "not trusted"},
		},
		{
			name: "config: unresolvable 10,000-character host",
			configWith: func(srv *commandtest.Server) map[string]interface{} {
				return basicConfig("https://"+strings.Repeat("a", 10000)+".invalid", commandtest.DefaultPassword)
			},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"url"},
		},
		{
			name: "config: client_key pasted without its PEM header",
			configWith: func(srv *commandtest.Server) map[string]interface{} {
				cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.RootCertificate().Raw})
				return map[string]interface{}{"url": srv.URL, "client_cert": string(cert), "client_key": pastedKey}
			},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{"client_key"},
			secret:     pastedKey,
		},
	}
	// Role names holding "..": native answers Vault's storage refusal with 400 on every path that
	// takes a role; the plugin must not answer 500.
	for _, c := range []struct {
		op         logical.Operation
		path, text string
	}{
		{logical.UpdateOperation, "roles/a..b", "relative paths not supported"},
		{logical.ReadOperation, "roles/a..b", "failed to load role a..b: relative paths not supported"},
		{logical.DeleteOperation, "roles/a..b", "relative paths not supported"},
		{logical.PatchOperation, "roles/a..b", "failed to load role a..b: relative paths not supported"},
		{logical.UpdateOperation, "issue/a..b", "failed to load role a..b: relative paths not supported"},
		{logical.UpdateOperation, "sign/a..b", "failed to load role a..b: relative paths not supported"},
		{logical.UpdateOperation, "issuer/default/issue/a..b", "failed to load role a..b: relative paths not supported"},
	} {
		cases = append(cases, badInputCase{
			name:       fmt.Sprintf("role name with .. (%s %s)", c.op, c.path),
			setup:      func(p *mountedPlugin, srv *commandtest.Server) { p.configure(srv, commandtest.DefaultPassword) },
			op:         c.op,
			path:       c.path,
			data:       map[string]interface{}{"common_name": "www.example.com", "allowed_domains": "example.com"},
			wantStatus: http.StatusBadRequest,
			wantText:   []string{c.text},
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := commandtest.NewServer()
			if tc.tls {
				srv.Close()
				srv = commandtest.NewTLSServer()
			}
			t.Cleanup(srv.Close)
			p := newPlugin(t)
			path, data := tc.path, tc.data
			if tc.configWith != nil {
				path, data = "config", tc.configWith(srv)
			} else {
				tc.setup(p, srv)
			}
			op := tc.op
			if op == "" {
				op = logical.UpdateOperation
			}
			status, msg := p.do(op, path, data)
			t.Logf("answer: %d %s", status, msg)
			if status != tc.wantStatus {
				t.Fatalf("status %d (%s), want %d", status, msg, tc.wantStatus)
			}
			for _, want := range tc.wantText {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			if strings.Contains(msg, wrongPassword) || strings.Contains(msg, commandtest.DefaultPassword) {
				t.Errorf("error echoes a password: %q", msg)
			}
			if tc.secret != "" && strings.Contains(msg, tc.secret[:20]) {
				t.Errorf("error echoes a sensitive value: %q", msg)
			}
			if n := p.countCerts(); n != 0 {
				t.Errorf("a failed issuance stored %d certificate records", n)
			}
			if tc.configWith != nil {
				if status, _ := p.do(logical.ReadOperation, "config", nil); status != http.StatusNotFound {
					t.Errorf("a rejected config was stored (read answered %d)", status)
				}
			}
		})
	}
}

// pastedKey looks like a private key pasted as base64 DER without its PEM lines.
const pastedKey = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVaultPluginTestKeyMaterial"

// basicConfig is a config write with Basic credentials for the simulator at rawURL.
func basicConfig(rawURL, password string) map[string]interface{} {
	return map[string]interface{}{
		"url": rawURL, "username": commandtest.DefaultUsername, "password": password,
		"domain": commandtest.DefaultDomain, "ca": commandtest.DefaultCALogicalName, "template": commandtest.DefaultTemplate,
		"timeout": 10,
	}
}

// closedPortURL is an http URL on a loopback port nothing listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// TestConfigFileErrorsAreNeutral: a file path in client_cert or command_cert_path that does not
// exist, cannot be read, or holds no PEM gets one answer, so config writes are no existence
// oracle for files on the Vault host, and the answer never quotes the path.
func TestConfigFileErrorsAreNeutral(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not-pem.txt")
	if err := os.WriteFile(notPEM, []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"command_cert_path", "client_cert"} {
		var answers []string
		for _, path := range []string{filepath.Join(dir, "absent.pem"), notPEM, dir} {
			p := newPlugin(t)
			conf := basicConfig(srv.URL, commandtest.DefaultPassword)
			if field == "client_cert" {
				conf = map[string]interface{}{"url": srv.URL, "client_cert": path, "client_key": path}
			} else {
				conf[field] = path
			}
			status, msg := p.do(logical.UpdateOperation, "config", conf)
			if status != http.StatusBadRequest || !strings.Contains(msg, field) {
				t.Errorf("%s=%s: %d %q, want 400 naming the field", field, path, status, msg)
			}
			if strings.Contains(msg, dir) {
				t.Errorf("%s: the answer quotes the path: %q", field, msg)
			}
			answers = append(answers, msg)
		}
		for _, a := range answers[1:] {
			if a != answers[0] {
				t.Errorf("%s: answers differ by file, an existence oracle:\n%q\n%q", field, answers[0], a)
			}
		}
	}
}

// TestConfigWriteRejectsWrongPassword: without skip_connection_check, a config Command refuses
// is not saved, and the answer says why.
func TestConfigWriteRejectsWrongPassword(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	p := newPlugin(t)
	status, msg := p.do(logical.UpdateOperation, "config", map[string]interface{}{
		"url": srv.URL, "username": commandtest.DefaultUsername, "password": "wrong-Passw0rd",
		"domain": commandtest.DefaultDomain, "ca": commandtest.DefaultCALogicalName, "template": commandtest.DefaultTemplate,
	})
	if status < 400 || !strings.Contains(msg, "401") || strings.Contains(msg, "wrong-Passw0rd") {
		t.Fatalf("config write with a wrong password: %d %q", status, msg)
	}
	if status, _ := p.do(logical.ReadOperation, "config", nil); status != http.StatusNotFound {
		t.Fatalf("a rejected config was stored (read answered %d)", status)
	}
}

// BenchmarkIssue is issue/:role through the assembled plugin: role policy, key generation,
// CSR, Command enrollment over HTTP (simulator), certificate record. RSA key generation
// dominates the rsa case; the ec case shows the plumbing.
func BenchmarkIssue(b *testing.B) {
	for _, keyType := range []string{"rsa", "ec"} {
		b.Run(keyType, func(b *testing.B) {
			srv := commandtest.NewServer()
			b.Cleanup(srv.Close)
			p := newPlugin(b)
			write := func(path string, data map[string]interface{}) {
				if status, msg := p.do(logical.UpdateOperation, path, data); status >= 300 {
					b.Fatalf("%s: %d %s", path, status, msg)
				}
			}
			write("config", map[string]interface{}{
				"url": srv.URL, "username": commandtest.DefaultUsername, "password": commandtest.DefaultPassword,
				"domain": commandtest.DefaultDomain, "ca": commandtest.DefaultCALogicalName, "template": commandtest.DefaultTemplate,
			})
			write("roles/web", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "key_type": keyType})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				write("issue/web", map[string]interface{}{"common_name": "bench.example.com"})
			}
		})
	}
}

// TestRevocationInCommandReachesVault: a certificate revoked in Command's console (not through
// Vault) is marked revoked in cert/:serial and listed in certs/revoked/ after the periodic sync
// Vault drives with rollback requests.
func TestRevocationInCommandReachesVault(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	p := newPlugin(t)
	p.configure(srv, commandtest.DefaultPassword)

	_, resp, err := p.mount.Handle(logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "console.example.com"})
	if err != nil || resp == nil || resp.IsError() {
		t.Fatalf("issue: %v %v", err, resp)
	}
	serial := resp.Data["serial_number"].(string)
	certID := commandCertificateID(t, p, serial)
	if err := srv.RevokeInConsole(certID, 1); err != nil {
		t.Fatal(err)
	}

	if got := revocationTime(t, p, serial); got != 0 {
		t.Fatalf("revoked before any sync: revocation_time %d", got)
	}
	// Vault's rollback manager sends this about once a minute; it runs PeriodicFunc.
	if _, err := p.mount.Backend.HandleRequest(context.Background(), &logical.Request{Operation: logical.RollbackOperation, Storage: p.mount.Storage}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if got := revocationTime(t, p, serial); got == 0 {
		t.Fatal("cert/:serial does not show the revocation made in Command after the sync")
	}
	list, err := p.mount.Backend.HandleRequest(context.Background(), &logical.Request{Operation: logical.ListOperation, Path: "certs/revoked/", Storage: p.mount.Storage})
	if err != nil || list == nil {
		t.Fatalf("certs/revoked/: %v %v", err, list)
	}
	if keys, _ := list.Data["keys"].([]string); len(keys) != 1 || keys[0] != serial {
		t.Fatalf("certs/revoked/ = %v, want [%s]", list.Data["keys"], serial)
	}
}

// TestRevocationSyncRetriesAtTheNextRollback: a sync that could not ask Command (Command
// failing, or the mount not configured yet) does not count as run, so the next rollback tick
// (a minute later in Vault, not the five-minute sync interval) syncs. After a failover the new
// active node's first sync depends on this.
func TestRevocationSyncRetriesAtTheNextRollback(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	p := newPlugin(t)
	rollback := func() {
		t.Helper()
		if _, err := p.mount.Backend.HandleRequest(context.Background(), &logical.Request{Operation: logical.RollbackOperation, Storage: p.mount.Storage}); err != nil {
			t.Fatalf("rollback: %v", err)
		}
	}
	searches := func() int { return srv.Counters().Requests["GET /Certificates"] }

	rollback() // no config yet: nothing to ask, and not counted as a run
	p.configure(srv, commandtest.DefaultPassword)
	_, resp, err := p.mount.Handle(logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "retry.example.com"})
	if err != nil || resp == nil || resp.IsError() {
		t.Fatalf("issue: %v %v", err, resp)
	}
	serial := resp.Data["serial_number"].(string)
	if err := srv.RevokeInConsole(commandCertificateID(t, p, serial), 1); err != nil {
		t.Fatal(err)
	}

	srv.InjectFault(commandtest.Fault{Endpoint: "GET /Certificates", Status: http.StatusServiceUnavailable, Body: "{}"})
	before := searches()
	rollback() // the first sync since the config was written: Command fails it
	if searches() == before {
		t.Fatal("the first rollback after the config was written did not ask Command (a rollback without config counted as a sync)")
	}
	srv.ClearFaults()
	if got := revocationTime(t, p, serial); got != 0 {
		t.Fatalf("revocation recorded although Command failed the listing: %d", got)
	}
	rollback() // the next tick: the failed sync is retried, not postponed for an interval
	if got := revocationTime(t, p, serial); got == 0 {
		t.Fatal("the rollback after a failed sync did not retry it: the console revocation is not recorded")
	}
	before = searches()
	rollback() // a completed sync is not repeated before its interval
	if got := searches() - before; got != 0 {
		t.Fatalf("a rollback right after a completed sync asked Command %d more times", got)
	}
}

// revocationTime is cert/:serial's revocation_time as the mount answers it.
func revocationTime(t *testing.T, p *mountedPlugin, serial string) int64 {
	t.Helper()
	resp, err := p.mount.Backend.HandleRequest(context.Background(), &logical.Request{Operation: logical.ReadOperation, Path: "cert/" + serial, Storage: p.mount.Storage})
	if err != nil || resp == nil {
		t.Fatalf("cert read: %v %v", err, resp)
	}
	return resp.Data["revocation_time"].(int64)
}

// commandCertificateID is the Keyfactor id the plugin recorded for serial.
func commandCertificateID(t *testing.T, p *mountedPlugin, serial string) int {
	t.Helper()
	entry, err := p.mount.Storage.Get(context.Background(), "certs/"+strings.ReplaceAll(serial, ":", "-"))
	if err != nil || entry == nil {
		t.Fatalf("no record for %s: %v", serial, err)
	}
	var rec struct {
		CertificateID string `json:"certificate_id"`
	}
	if err := entry.DecodeJSON(&rec); err != nil {
		t.Fatal(err)
	}
	id, err := strconv.Atoi(rec.CertificateID)
	if err != nil {
		t.Fatalf("record's certificate_id %q: %v", rec.CertificateID, err)
	}
	return id
}

// TestConfigSwitchesAuthMethod: config writes merge, so moving from Basic to OAuth means
// clearing the Basic fields in the same write (empty values); leaving them is a conflict the
// answer names.
func TestConfigSwitchesAuthMethod(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	p := newPlugin(t)
	p.configure(srv, commandtest.DefaultPassword)
	oauth := map[string]interface{}{
		"client_id": commandtest.DefaultClientID, "client_secret": commandtest.DefaultClientSecret,
		"token_url": srv.TokenURL(), "skip_connection_check": true,
	}
	status, msg := p.do(logical.UpdateOperation, "config", oauth)
	if status != http.StatusBadRequest || !strings.Contains(msg, "username") || !strings.Contains(msg, "client_id") {
		t.Fatalf("OAuth fields on top of Basic: %d %q, want a 400 naming both methods' fields", status, msg)
	}
	oauth["username"], oauth["password"], oauth["domain"] = "", "", ""
	if status, msg := p.do(logical.UpdateOperation, "config", oauth); status >= 300 {
		t.Fatalf("switching to OAuth with the Basic fields cleared: %d %s", status, msg)
	}
	if status, msg := p.do(logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "oauth.example.com"}); status != http.StatusOK {
		t.Fatalf("issue after switching to OAuth: %d %s", status, msg)
	}
	if got := srv.Counters().TokensIssued; got != 1 {
		t.Errorf("tokens issued = %d, want 1: the issuance did not use OAuth", got)
	}
}

// TestInvalidateReplacesTheDriverOnOtherNodes: two backends on one storage stand for two Vault
// nodes. When one node changes the CA connection, the other keeps its cached driver until Vault
// tells it the config key changed (InvalidateKey), and then issues with the new configuration.
func TestInvalidateReplacesTheDriverOnOtherNodes(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	nodeA := newPlugin(t)
	nodeA.configure(srv, commandtest.DefaultPassword)
	nodeB := &mountedPlugin{t: t, mount: pkitest.NewMount(t, pkicompat.Factory(keyfactor.NewProvider()), nodeA.mount.Storage, logical.TestSystemView())}

	issuerCN := func(p *mountedPlugin) string {
		t.Helper()
		resp, err := p.mount.Backend.HandleRequest(context.Background(), &logical.Request{
			Operation: logical.UpdateOperation, Path: "issue/web", Storage: p.mount.Storage,
			Data: map[string]interface{}{"common_name": "node.example.com"},
		})
		if err != nil || resp == nil || resp.IsError() {
			t.Fatalf("issue: %v %v", err, resp)
		}
		block, _ := pem.Decode([]byte(resp.Data["certificate"].(string)))
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return cert.Issuer.CommonName
	}
	if got := issuerCN(nodeB); got != commandtest.DefaultCALogicalName {
		t.Fatalf("node B issued from %q before the change", got)
	}
	if status, msg := nodeA.do(logical.UpdateOperation, "config", map[string]interface{}{"ca": commandtest.ECCALogicalName}); status >= 300 {
		t.Fatalf("config change on node A: %d %s", status, msg)
	}
	if got := issuerCN(nodeA); got != commandtest.ECCALogicalName {
		t.Fatalf("node A issued from %q after its own change", got)
	}
	if got := issuerCN(nodeB); got != commandtest.DefaultCALogicalName {
		t.Fatalf("node B dropped its driver without an invalidation (issued from %q)", got)
	}
	nodeB.mount.Backend.InvalidateKey(context.Background(), "config")
	if got := issuerCN(nodeB); got != commandtest.ECCALogicalName {
		t.Fatalf("node B issued from %q after the invalidation, want %q", got, commandtest.ECCALogicalName)
	}
}
