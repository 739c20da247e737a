package pkicompat_test

import (
	"context"
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
