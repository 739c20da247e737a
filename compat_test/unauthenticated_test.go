package compattest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// unauthenticatedProbes are paths scripts read without a token from native PKI (curl of the CA
// or CRL), and paths that must keep requiring one.
var unauthenticatedProbes = []string{
	"ca", "ca/pem", "ca_chain", "cert/ca_chain", "cert/ca", "cert/ca/raw", "cert/ca/raw/pem",
	"crl", "crl/pem", "cert/crl",
	"cert/0a:0b:0c", "cert/0a:0b:0c/raw", "cert/0a:0b:0c/raw/pem",
	"issuer/default/json", "issuer/default/pem", "issuer/default/der",
	"issuer/default/crl", "issuer/default/crl/pem", "issuer/default/crl/der", "issuers/",
	"issue/web", "sign/web", "roles/web", "roles/", "certs/", "certs/revoked/", "revoke",
	"revoke-with-key", "config", "sign-verbatim/web", "issuer/default/issue/web",
}

// TestUnauthenticatedPathsMatchNative compares which paths each engine declares readable
// without a token (PathsSpecial.Unauthenticated, as Vault's router matches them).
func TestUnauthenticatedPathsMatchNative(t *testing.T) {
	table, err := compare.LoadTable(differencesFile)
	if err != nil {
		t.Fatal(err)
	}
	sim := commandtest.NewServer()
	t.Cleanup(sim.Close)
	native := newNativeEngine(t, "native", simulatorCA(t, sim, commandtest.DefaultCALogicalName))
	plugin := newPluginEngine(t, sim, commandtest.DefaultCALogicalName)
	nativeOpen, pluginOpen := native.Backend.SpecialPaths().Unauthenticated, plugin.Backend.SpecialPaths().Unauthenticated
	compared := 0
	for _, path := range unauthenticatedProbes {
		compared++
		n, p := matchesSpecialPath(nativeOpen, path), matchesSpecialPath(pluginOpen, path)
		if n == p {
			continue
		}
		d := compare.Difference{Field: "unauthenticated", Native: fmt.Sprint(n), Plugin: fmt.Sprint(p)}
		if table.Match("paths: unauthenticated", path, d) < 0 {
			t.Errorf("difference not in %s: paths: unauthenticated / %s: %s", differencesFile, path, d)
		}
	}
	t.Logf("unauthenticated paths: %d paths compared", compared)
}

// matchesSpecialPath reports whether path matches one of Vault's special-path patterns: a
// trailing "*" matches any suffix, a "+" segment matches exactly one segment, anything else
// must be equal.
func matchesSpecialPath(patterns []string, path string) bool {
	for _, pattern := range patterns {
		prefix := strings.HasSuffix(pattern, "*")
		pattern = strings.TrimSuffix(pattern, "*")
		if !strings.Contains(pattern, "+") {
			if path == pattern || (prefix && strings.HasPrefix(path, pattern)) {
				return true
			}
			continue
		}
		pSegs, segs := strings.Split(pattern, "/"), strings.Split(path, "/")
		if len(segs) < len(pSegs) || (!prefix && len(segs) != len(pSegs)) {
			continue
		}
		ok := true
		for i, seg := range pSegs {
			last := i == len(pSegs)-1
			switch {
			case seg == "+":
			case last && prefix:
				ok = ok && strings.HasPrefix(segs[i], seg)
			default:
				ok = ok && seg == segs[i]
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestMatchesSpecialPath(t *testing.T) {
	patterns := []string{"cert/*", "ca", "issuer/+/pem", "issuer/+/crl/delta*", "issuers/"}
	tests := []struct {
		path string
		want bool
	}{
		{"cert/0a:0b", true},
		{"cert/0a:0b/raw/pem", true},
		{"ca", true},
		{"ca/pem", false},
		{"issuer/default/pem", true},
		{"issuer/default/der", false},
		{"issuer/a/b/pem", false},
		{"issuer/default/crl/delta/pem", true},
		{"issuers/", true},
		{"issue/web", false},
	}
	for _, tc := range tests {
		if got := matchesSpecialPath(patterns, tc.path); got != tc.want {
			t.Errorf("matchesSpecialPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
