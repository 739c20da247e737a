package pkicompat_test

import (
	"context"
	"encoding/json"
	"testing"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// Vault asks a plugin its version through logical.PluginVersioner; the versioned factory's
// backends answer the binary's version, the plain factory's none (Vault then shows no version).
func TestVersionedFactoryReportsTheBinarysVersion(t *testing.T) {
	server, err := pkitest.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conf := &logical.BackendConfig{Logger: hclog.NewNullLogger(), System: logical.TestSystemView(), StorageView: &logical.InmemStorage{}}
	for _, tc := range []struct {
		factory logical.Factory
		want    string
	}{
		{pkicompat.VersionedFactory(server.Provider(), "v1.2.3"), "v1.2.3"},
		{pkicompat.VersionedFactory(server.Provider(), "v0.0.0-dev"), "v0.0.0-dev"},
		{pkicompat.Factory(server.Provider()), ""},
	} {
		b, err := tc.factory(ctx, conf)
		if err != nil {
			t.Fatal(err)
		}
		versioner, ok := b.(logical.PluginVersioner)
		if !ok {
			t.Fatalf("backend %T does not report a version to Vault", b)
		}
		if got := versioner.PluginVersion().Version; got != tc.want {
			t.Fatalf("reported version %q, want %q", got, tc.want)
		}
		b.Cleanup(ctx)
	}
}

// The plugin binary's engine (PluginFactory) answers a large LIST certs/ with the keys already
// encoded (here every LIST, whatever its size); the JSON Vault receives is the in-process
// engine's, byte for byte, and the in-process engine keeps the []string Vault's own response
// handling takes (a status, not a 500).
func TestPluginFactoryListsCertsAsTheInProcessEngine(t *testing.T) {
	defer pkicompat.PreEncodeEveryList()()
	server, err := pkitest.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	storage := &logical.InmemStorage{}
	for _, key := range []string{"0a-1b", "ff-00-12", "01"} {
		if err := storage.Put(ctx, &logical.StorageEntry{Key: "certs/" + key, Value: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	conf := &logical.BackendConfig{Logger: hclog.NewNullLogger(), System: logical.TestSystemView(), StorageView: storage}
	encoded := map[string]string{}
	for name, factory := range map[string]logical.Factory{
		"in process": pkicompat.Factory(server.Provider()),
		"plugin":     pkicompat.PluginFactory(server.Provider(), "v1.2.3"),
	} {
		b, err := factory(ctx, conf)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // from storage, then from the index
			req := &logical.Request{Operation: logical.ListOperation, Path: "certs/", Storage: storage}
			resp, err := b.HandleRequest(ctx, req)
			if err != nil || resp == nil || resp.IsError() {
				t.Fatalf("%s: LIST certs/: %v %v", name, err, resp)
			}
			raw, err := json.Marshal(resp.Data)
			if err != nil {
				t.Fatal(err)
			}
			encoded[name] = string(raw)
			if name != "in process" {
				continue
			}
			if status, rerr := logical.RespondErrorCommon(req, resp, nil); status != 0 || rerr != nil {
				t.Fatalf("in process: Vault's response handling maps LIST certs/ to %d %v", status, rerr)
			}
		}
		b.Cleanup(ctx)
	}
	want := `{"keys":["01","0a:1b","ff:00:12"]}`
	for name, got := range encoded {
		if got != want {
			t.Errorf("%s engine: LIST certs/ encodes as %s, want %s", name, got, want)
		}
	}
}
