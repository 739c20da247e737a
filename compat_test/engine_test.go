package compattest

import (
	"testing"

	"github.com/hashicorp/vault/builtin/logical/pki"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// engine is one mounted secrets engine, in-process (pkitest.Mount), with a name for messages.
type engine struct {
	name string
	*pkitest.Mount
}

// startEngine mounts factory's backend on fresh in-memory storage with the system view both
// engines share (pkitest.SystemView: the suite's real-Vault tuning, default lease 768h, max lease
// 87600h), initialised as Vault does (native PKI migrates its storage in Initialize and refuses to
// work before).
func startEngine(t *testing.T, name string, factory logical.Factory) *engine {
	t.Helper()
	m := pkitest.NewMount(t, factory, nil, pkitest.SystemView())
	m.MountPoint = "pki/"
	return &engine{name: name, Mount: m}
}

// Name is the engine's name in messages (compare.Target).
func (e *engine) Name() string { return e.name }

// Send sends one request and returns what an HTTP client would see (compare.Target).
func (e *engine) Send(t testing.TB, req compare.Request) *compare.Observation {
	t.Helper()
	if req.NoToken {
		t.Fatalf("%s: %s: an in-process mount has no token layer; requests without a token need a real Vault", e.name, req.Step)
	}
	obs, err := compare.Observe(e.Handle(req.Op, req.Path, req.Data))
	if err != nil {
		t.Fatalf("%s %s: %v", e.name, req, err)
	}
	return obs
}

// observe sends one request outside any scenario step.
func (e *engine) observe(t *testing.T, op logical.Operation, path string, data map[string]interface{}) *compare.Observation {
	t.Helper()
	return e.Send(t, compare.Request{Op: op, Path: path, Data: data})
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
