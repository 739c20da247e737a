package main

import (
	"context"
	"regexp"
	"testing"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/logical"
)

// canonicalPluginVersion is what Vault accepts as a self-reported version and registers as
// written: "v" + major.minor.patch[-pre][+build].
var canonicalPluginVersion = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// The served backend reports the binary's version (the one -ldflags -X main.version stamps) to
// Vault; unstamped it is v0.0.0-dev, a version Vault accepts.
func TestServedBackendReportsTheBinarysVersion(t *testing.T) {
	unstamped := version
	t.Cleanup(func() { version = unstamped })
	for _, stamped := range []string{unstamped, "v1.4.2", "v2.0.0-rc.1+build.7"} {
		version = stamped
		if !canonicalPluginVersion.MatchString(version) {
			t.Fatalf("version %q is not a version Vault registers as written", version)
		}
		ctx := context.Background()
		b, err := backendFactory()(ctx, &logical.BackendConfig{
			Logger: hclog.NewNullLogger(), System: logical.TestSystemView(), StorageView: &logical.InmemStorage{},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := b.(logical.PluginVersioner).PluginVersion().Version; got != stamped {
			t.Fatalf("backend reports %q, binary is %q", got, stamped)
		}
		b.Cleanup(ctx)
	}
	if unstamped != "v0.0.0-dev" {
		t.Fatalf("unstamped version %q, want v0.0.0-dev", unstamped)
	}
}
