package pkicompat_test

import (
	"context"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// newHarnessInVault mounts the engine in a Vault whose system view reports version running.
func newHarnessInVault(t *testing.T, running string) *harness {
	t.Helper()
	server, err := pkitest.New()
	if err != nil {
		t.Fatalf("starting the test CA: %v", err)
	}
	sv := pkitest.SystemView()
	if running != "no environment" {
		sv.PluginEnvironment = &logical.PluginEnvironment{VaultVersion: running}
	}
	storage := &logical.InmemStorage{}
	m := pkitest.NewMount(t, pkicompat.Factory(server.Provider()), storage, sv)
	return &harness{t: t, ctx: context.Background(), mount: m, storage: storage, ca: server}
}

// The engine answers like the native PKI of the Vault it runs in: Vault 1.19's native PKI has no
// delta_crl_distribution_points (added in 1.20.0), so there config/urls ignores it with the
// framework's own warning and neither config/urls nor issuer/:ref answers it; 1.20 and later (and
// a Vault that reports no version) have it.
func TestAnswersShapedLikeTheRunningVaultsNativePKI(t *testing.T) {
	const ignored = "Endpoint ignored these unrecognized parameters: [delta_crl_distribution_points]"
	for _, tc := range []struct {
		running  string
		hasDelta bool
	}{
		{"1.19.5", false},
		{"v1.19.0", false},
		{"1.19.5+ent", false},
		{"1.20.0-rc1", true},
		{"1.20.0", true},
		{"1.21.0", true},
		{"2.0.0", true},
		{"", true},
		{"no environment", true},
		{"not a version", true},
	} {
		t.Run(tc.running, func(t *testing.T) {
			h := newHarnessInVault(t, tc.running)
			h.configure(nil)

			w := h.write("config/urls", map[string]interface{}{
				"crl_distribution_points":       "http://c.example.com/crl",
				"delta_crl_distribution_points": "http://c.example.com/delta",
			})
			mustOK(t, w)
			warned := false
			for _, warning := range w.resp.Warnings {
				warned = warned || warning == ignored
			}
			if warned == tc.hasDelta {
				t.Fatalf("config/urls write warnings %q: want the unrecognized-parameter warning %v", w.resp.Warnings, !tc.hasDelta)
			}

			for _, path := range []string{"config/urls", "issuer/default"} {
				d := h.read(path).data(t)
				if _, has := d["delta_crl_distribution_points"]; has != tc.hasDelta {
					t.Fatalf("%s answers delta_crl_distribution_points: %v, want %v (%v)", path, has, tc.hasDelta, d)
				}
				if _, has := d["crl_distribution_points"]; !has {
					t.Fatalf("%s lost crl_distribution_points: %v", path, d)
				}
			}
			urls := h.read("config/urls").data(t)
			if got := strList(t, urls, "crl_distribution_points"); len(got) != 1 || got[0] != "http://c.example.com/crl" {
				t.Fatalf("config/urls crl_distribution_points = %v", got)
			}
			if tc.hasDelta {
				if got := strList(t, urls, "delta_crl_distribution_points"); len(got) != 1 || got[0] != "http://c.example.com/delta" {
					t.Fatalf("config/urls delta_crl_distribution_points = %v", got)
				}
			}
		})
	}
}
