package compattest

import (
	"context"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/builtin/logical/pki"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
)

// engine is one mounted secrets engine, in-process: a backend and its storage.
type engine struct {
	name    string
	backend logical.Backend
	storage logical.Storage
}

// mountSystemView is the system view both engines get: the defaults of a mount tuned as the
// suite's real-Vault level tunes it (default lease 768h, max lease 87600h). Default TTLs and TTL
// warnings derive from it, so both engines must share it.
func mountSystemView() *logical.StaticSystemView {
	sv := logical.TestSystemView()
	sv.DefaultLeaseTTLVal = 768 * time.Hour
	sv.MaxLeaseTTLVal = 87600 * time.Hour
	return sv
}

// startEngine builds a backend with factory on fresh in-memory storage and initialises it (native
// PKI migrates its storage in Initialize and refuses to work before).
func startEngine(t *testing.T, name string, factory logical.Factory) *engine {
	t.Helper()
	ctx := context.Background()
	storage := &logical.InmemStorage{}
	conf := &logical.BackendConfig{
		Logger:      hclog.NewNullLogger(),
		System:      mountSystemView(),
		Config:      map[string]string{},
		StorageView: storage,
	}
	b, err := factory(ctx, conf)
	if err != nil {
		t.Fatalf("%s: factory: %v", name, err)
	}
	if err := b.Initialize(ctx, &logical.InitializationRequest{Storage: storage}); err != nil {
		t.Fatalf("%s: initialize: %v", name, err)
	}
	t.Cleanup(func() { b.Cleanup(ctx) })
	return &engine{name: name, backend: b, storage: storage}
}

// do sends one request and returns it with its outcome.
func (e *engine) do(op logical.Operation, path string, data map[string]interface{}) (*logical.Request, *logical.Response, error) {
	req := &logical.Request{
		Operation:  op,
		Path:       path,
		Data:       data,
		Storage:    e.storage,
		MountPoint: "pki/",
	}
	resp, err := e.backend.HandleRequest(context.Background(), req)
	return req, resp, err
}

// observe sends one request and returns what an HTTP client would see.
func (e *engine) observe(t *testing.T, op logical.Operation, path string, data map[string]interface{}) *compare.Observation {
	t.Helper()
	obs, err := compare.Observe(e.do(op, path, data))
	if err != nil {
		t.Fatalf("%s %s %s: %v", e.name, op, path, err)
	}
	return obs
}

// mustSucceed sends a setup request and fails the test unless it succeeds.
func (e *engine) mustSucceed(t *testing.T, op logical.Operation, path string, data map[string]interface{}) *compare.Observation {
	t.Helper()
	obs := e.observe(t, op, path, data)
	if obs.Status >= 300 {
		t.Fatalf("%s: setup %s %s: status %d: %s", e.name, op, path, obs.Status, obs.Error)
	}
	return obs
}

// newNativeEngine mounts native PKI and imports ca as its default issuer.
func newNativeEngine(t *testing.T, name string, ca *issuingCA) *engine {
	t.Helper()
	e := startEngine(t, name, pki.Factory)
	imported := e.mustSucceed(t, logical.UpdateOperation, "issuers/import/bundle", map[string]interface{}{
		"pem_bundle": ca.bundlePEM(t),
	})
	// The bundle holds the root (no key) and the issuing CA (with key); make the one with the key
	// the default issuer explicitly instead of relying on import order.
	mapping, _ := imported.Data["mapping"].(map[string]interface{})
	for issuerID, keyID := range mapping {
		if k, _ := keyID.(string); k != "" {
			e.mustSucceed(t, logical.UpdateOperation, "config/issuers", map[string]interface{}{"default": issuerID})
		}
	}
	return e
}
