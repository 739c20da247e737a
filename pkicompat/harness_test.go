package pkicompat_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// harness is one mount of the engine over an in-memory CA and in-memory storage.
type harness struct {
	t       *testing.T
	ctx     context.Context
	mount   *pkitest.Mount
	storage *logical.InmemStorage
	ca      *pkitest.Server
}

func newHarness(t *testing.T, caNames ...string) *harness {
	t.Helper()
	server, err := pkitest.New(caNames...)
	if err != nil {
		t.Fatalf("starting the test CA: %v", err)
	}
	return newHarnessOn(t, server, &logical.InmemStorage{})
}

// newHarnessOn mounts a fresh backend over existing storage, as after a Vault restart.
func newHarnessOn(t *testing.T, server *pkitest.Server, storage *logical.InmemStorage) *harness {
	t.Helper()
	sv := pkitest.SystemView()
	sv.PluginEnvironment = &logical.PluginEnvironment{VaultVersion: "1.21.0"}
	m := pkitest.NewMount(t, pkicompat.Factory(server.Provider()), storage, sv)
	return &harness{t: t, ctx: context.Background(), mount: m, storage: storage, ca: server}
}

// result is one request's outcome as Vault's HTTP layer would report it.
type result struct {
	resp   *logical.Response
	err    error
	status int
}

func (r result) errorText() string {
	if r.err != nil {
		return r.err.Error()
	}
	if r.resp != nil && r.resp.IsError() {
		return r.resp.Error().Error()
	}
	return ""
}

// data is the response data after a JSON round trip, the types a client sees.
func (r result) data(t *testing.T) map[string]interface{} {
	t.Helper()
	if r.resp == nil || r.err != nil || r.resp.IsError() {
		t.Fatalf("no successful response (status %d, error %q)", r.status, r.errorText())
	}
	raw, err := json.Marshal(r.resp.Data)
	if err != nil {
		t.Fatalf("marshal response: %v", err)
	}
	var out map[string]interface{}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("unmarshal response: %v", err)
	}
	return out
}

func (h *harness) do(op logical.Operation, path string, data map[string]interface{}) result {
	h.t.Helper()
	return h.doRequest(&logical.Request{Operation: op, Path: path, Data: data})
}

// doRequest sends a request carrying what a token brings (EntityID, DisplayName, ...), and waits
// for the intent removals it started after its reply (intentsettle.go).
func (h *harness) doRequest(req *logical.Request) result {
	h.t.Helper()
	resp, err := h.mount.HandleRequest(req)
	pkicompat.WaitForIntentRemovals(h.mount.Backend)
	status, rerr := logical.RespondErrorCommon(req, resp, err)
	if rerr != nil {
		logical.AdjustErrorStatusCode(&status, rerr)
	}
	if status == 0 {
		switch {
		case resp == nil:
			status = http.StatusNoContent
		case resp.Data[logical.HTTPStatusCode] != nil:
			status = resp.Data[logical.HTTPStatusCode].(int)
		default:
			status = http.StatusOK
		}
	}
	return result{resp: resp, err: err, status: status}
}

func (h *harness) write(path string, data map[string]interface{}) result {
	h.t.Helper()
	return h.do(logical.UpdateOperation, path, data)
}

func (h *harness) read(path string) result {
	h.t.Helper()
	return h.do(logical.ReadOperation, path, nil)
}

func (h *harness) list(path string) result {
	h.t.Helper()
	return h.do(logical.ListOperation, path, nil)
}

// mustOK fails the test unless r is a success.
func mustOK(t *testing.T, r result) {
	t.Helper()
	if r.status >= 300 || r.err != nil || (r.resp != nil && r.resp.IsError()) {
		t.Fatalf("want success, got status %d: %s", r.status, r.errorText())
	}
}

// mustFail fails the test unless r has the status and an error containing text.
func mustFail(t *testing.T, r result, status int, text string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("want status %d, got %d (%s)", status, r.status, r.errorText())
	}
	if !strings.Contains(r.errorText(), text) {
		t.Fatalf("want error containing %q, got %q", text, r.errorText())
	}
}

// configure writes a working CA configuration.
func (h *harness) configure(extra map[string]interface{}) {
	h.t.Helper()
	data := map[string]interface{}{"url": "https://ca.example.test", "password": pkitest.Password}
	for k, v := range extra {
		data[k] = v
	}
	mustOK(h.t, h.write("config", data))
}

// role writes a role through the roles path.
func (h *harness) role(name string, fields map[string]interface{}) {
	h.t.Helper()
	mustOK(h.t, h.write("roles/"+name, fields))
}

// webRole is the usual role of these tests: subdomains of example.com.
func (h *harness) webRole(extra map[string]interface{}) {
	h.t.Helper()
	fields := map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "max_ttl": "72h"}
	for k, v := range extra {
		fields[k] = v
	}
	h.role("web", fields)
}

// storedEntries returns every storage entry, for checks of what was (not) written.
func (h *harness) storedEntries() map[string][]byte {
	h.t.Helper()
	out := map[string][]byte{}
	var walk func(prefix string)
	walk = func(prefix string) {
		keys, err := h.storage.List(h.ctx, prefix)
		if err != nil {
			h.t.Fatalf("list %q: %v", prefix, err)
		}
		for _, k := range keys {
			if strings.HasSuffix(k, "/") {
				walk(prefix + k)
				continue
			}
			e, err := h.storage.Get(h.ctx, prefix+k)
			if err != nil || e == nil {
				h.t.Fatalf("get %q: %v", prefix+k, err)
			}
			out[prefix+k] = e.Value
		}
	}
	walk("")
	return out
}

// changedSince lists the keys written, changed or removed since before (a storedEntries
// snapshot), for checks that a request stored nothing. A mount writes entries of its own when
// Vault initialises it (the migration log), so "nothing" is measured from after mounting.
func (h *harness) changedSince(before map[string][]byte) []string {
	h.t.Helper()
	after := h.storedEntries()
	var changed []string
	for k, v := range after {
		if w, ok := before[k]; !ok || !bytes.Equal(v, w) {
			changed = append(changed, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			changed = append(changed, k)
		}
	}
	return changed
}

func (h *harness) certKeys() []string {
	h.t.Helper()
	keys, err := h.storage.List(h.ctx, "certs/")
	if err != nil {
		h.t.Fatal(err)
	}
	return keys
}

func parseCertPEM(t *testing.T, text string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", text)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("unexpected text after the certificate: %q", rest)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newCSR makes a CSR (and its key) for the given names.
func newCSR(t *testing.T, cn string, dns ...string) (string, crypto.Signer) {
	t.Helper()
	key := testcerts.ECKey(t)
	return csrFor(t, key, cn, dns...), key
}

func csrFor(t *testing.T, key crypto.Signer, cn string, dns ...string) string {
	t.Helper()
	_, text := testcerts.CSR(t, key, testcerts.Names(cn, dns...))
	return text
}

func str(t *testing.T, d map[string]interface{}, key string) string {
	t.Helper()
	s, ok := d[key].(string)
	if !ok {
		t.Fatalf("%s: want a string, got %T (%v)", key, d[key], d[key])
	}
	return s
}

func num(t *testing.T, d map[string]interface{}, key string) int64 {
	t.Helper()
	n, ok := d[key].(json.Number)
	if !ok {
		t.Fatalf("%s: want a JSON number, got %T (%v)", key, d[key], d[key])
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("%s: want an integer, got %v", key, n)
	}
	return v
}

func strList(t *testing.T, d map[string]interface{}, key string) []string {
	t.Helper()
	raw, ok := d[key].([]interface{})
	if !ok {
		t.Fatalf("%s: want a JSON array, got %T (%v)", key, d[key], d[key])
	}
	out := make([]string, 0, len(raw))
	for _, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("%s: want strings, got %T", key, v)
		}
		out = append(out, s)
	}
	return out
}

// marshalKey encodes a key as PKCS#8 PEM.
func marshalKey(key crypto.Signer) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}
