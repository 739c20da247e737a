package compattest

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
)

// mountInfo is one entry of `vault secrets list -detailed -format=json`.
type mountInfo struct {
	Type                 string `json:"type"`
	PluginVersion        string `json:"plugin_version"`
	RunningPluginVersion string `json:"running_plugin_version"`
	RunningSHA256        string `json:"running_sha256"`
}

func mountDetails(t *testing.T, env *realvault.Env, mount string) mountInfo {
	t.Helper()
	var mounts map[string]mountInfo
	mustVaultJSON(t, env, &mounts, "secrets", "list", "-detailed")
	m, ok := mounts[mount+"/"]
	if !ok {
		t.Fatalf("secrets list has no %s/: %v", mount, mounts)
	}
	return m
}

// readData reads path with the CLI and returns its data as a client decodes it.
func readData(t *testing.T, env *realvault.Env, args ...string) map[string]interface{} {
	t.Helper()
	var out struct {
		Data map[string]interface{} `json:"data"`
	}
	mustVaultJSON(t, env, &out, args...)
	if len(out.Data) == 0 {
		t.Fatalf("vault %v answered no data", args)
	}
	return out.Data
}

// Issue 13, item 2: the plugin is upgraded the way HashiCorp documents it for external plugins.
// Two builds of this checkout, stamped v1.0.0 and v1.1.0, are registered by sha256 and version;
// a mount runs v1.0.0 (`secrets enable -plugin-version`), holds a configuration, a role, URL
// settings and an issued certificate, is moved to v1.1.0 with `secrets tune -plugin-version`
// and `plugin reload`, and then runs the new binary with every record intact. The binaries
// report their versions: registered without -version, Vault records the version the binary
// reports, and registering a binary under another version than it reports is refused.
func TestPluginUpgradeByVersionKeepsData(t *testing.T) {
	env := startRealVault(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// The environment registered the Makefile's build without -version.
	semver := regexp.MustCompile(`^v\d+\.\d+\.\d+([-+].*)?$`)
	reported := reportedPluginVersion(t, env)
	if !semver.MatchString(reported) {
		t.Fatalf("registered without -version, the catalog holds version %q for the plugin, want the version the binary reports", reported)
	}

	const oldVersion, newVersion = "v1.0.0", "v1.1.0"
	oldSum, err := env.InstallPluginVersion(ctx, oldVersion)
	if err != nil {
		t.Fatal(err)
	}
	newSum, err := env.InstallPluginVersion(ctx, newVersion)
	if err != nil {
		t.Fatal(err)
	}
	if oldSum == newSum {
		t.Fatal("the two versions built to the same binary: the version is not stamped")
	}
	_, err = env.Vault("plugin", "register", "-sha256="+oldSum, "-command="+realvault.PluginName+"-"+oldVersion,
		"-version=v1.0.1", "secret", realvault.PluginName)
	errorContains(t, err, "reported version ("+oldVersion+") did not match requested version (v1.0.1)")

	info := readData(t, env, "read", "-format=json", "sys/plugins/catalog/secret/"+realvault.PluginName, "version="+newVersion)
	if info["version"] != newVersion || info["sha256"] != newSum {
		t.Fatalf("catalog entry for %s: version %v, sha256 %v", newVersion, info["version"], info["sha256"])
	}

	const mount = "pki-versioned"
	mustVault(t, env, "secrets", "enable", "-path="+mount, "-plugin-version="+oldVersion, realvault.PluginName)
	if m := mountDetails(t, env, mount); m.PluginVersion != oldVersion || m.RunningPluginVersion != oldVersion || m.RunningSHA256 != oldSum {
		t.Fatalf("after enable -plugin-version=%s: %+v", oldVersion, m)
	}
	if err := env.ConfigureBasic(mount); err != nil {
		t.Fatal(err)
	}
	mustVault(t, env, "write", mount+"/roles/web", "allowed_domains=example.com", "allow_subdomains=true", "max_ttl=72h")
	mustVault(t, env, "write", mount+"/config/urls", "crl_distribution_points=http://crl.example.com/ca.crl")
	var issued vaultSecret
	mustVaultJSON(t, env, &issued, "write", mount+"/issue/web", "common_name=before.example.com")
	serial := issued.str(t, "serial_number")

	records := [][]string{
		{"read", "-format=json", mount + "/config"},
		{"read", "-format=json", mount + "/roles/web"},
		{"read", "-format=json", mount + "/config/urls"},
		{"read", "-format=json", mount + "/cert/" + serial},
	}
	before := make([]map[string]interface{}, len(records))
	for i, args := range records {
		before[i] = readData(t, env, args...)
	}
	var certsBefore []string
	mustVaultJSON(t, env, &certsBefore, "list", mount+"/certs")

	// The upgrade as HashiCorp documents it: point the mount at the new version, reload.
	mustVault(t, env, "secrets", "tune", "-plugin-version="+newVersion, mount)
	mustVault(t, env, "plugin", "reload", "-plugin="+realvault.PluginName)
	if m := mountDetails(t, env, mount); m.PluginVersion != newVersion || m.RunningPluginVersion != newVersion || m.RunningSHA256 != newSum {
		t.Fatalf("after tune -plugin-version=%s and reload: %+v (new binary's sha256 %s)", newVersion, m, newSum)
	}

	for i, args := range records {
		if after := readData(t, env, args...); !reflect.DeepEqual(after, before[i]) {
			before, _ := json.Marshal(before[i])
			got, _ := json.Marshal(after)
			t.Errorf("vault %v changed across the upgrade:\nbefore %s\nafter  %s", args, before, got)
		}
	}
	var certsAfter []string
	mustVaultJSON(t, env, &certsAfter, "list", mount+"/certs")
	if !reflect.DeepEqual(certsAfter, certsBefore) {
		t.Errorf("certs/ before the upgrade %v, after %v", certsBefore, certsAfter)
	}
	// The new binary serves the stored configuration and role.
	var again vaultSecret
	mustVaultJSON(t, env, &again, "write", mount+"/issue/web", "common_name=after.example.com")
	if leaf := parseCertPEM(t, again.str(t, "certificate")); leaf.Subject.CommonName != "after.example.com" {
		t.Fatalf("issued after the upgrade: CN %q", leaf.Subject.CommonName)
	}
}
