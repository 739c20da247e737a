package compattest

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/helper/certutil"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/legacytest"
)

// TestUpgradeFromOlderPluginInPlace is the upgrade a user of Keyfactor's older plugin makes, on a
// real Vault: a mount "keyfactor" written by that plugin (here a stand-in that leaves its storage
// layout, with certificates Command issued), then
//
//	vault plugin register -sha256=<new sha> secret keyfactor
//	vault plugin reload -plugin=keyfactor
//
// and the seed's command reference on the same mount: config, roles and the old certificates are
// all there, and revoking an old certificate revokes it in Command by the id the older plugin
// stored.
func TestUpgradeFromOlderPluginInPlace(t *testing.T) {
	env := startRealVault(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// The older plugin, registered under the name users gave it, and its mount.
	legacySHA := installLegacyPlugin(t, env)
	mustVault(t, env, "plugin", "register", "-sha256="+legacySHA, "-command=keyfactor-legacy", "secret", realvault.PluginName)
	mustVault(t, env, "secrets", "enable", "keyfactor")

	issued := issueLegacyCertificates(ctx, t, env)
	layout := legacytest.Layout{
		// Its config as it stored it: every field, ca with the double backslash its help text
		// asked for, the Command CA file as a path on the Vault host.
		Config: map[string]interface{}{
			"url": env.Sim.URL, "api_path": env.Sim.APIPath, "username": env.Sim.Username, "password": env.Sim.Password,
			"domain": env.Sim.Domain, "client_id": "", "client_secret": "", "token_url": "", "access_token": "",
			"skip_verify": false, "scopes": nil, "audience": "", "template": env.Sim.Template,
			"ca": strings.ReplaceAll(env.Sim.CA, `\`, `\\`), "command_cert_path": env.Sim.CABundle,
		},
		Roles: map[string]map[string]interface{}{
			// The seed's role: vault write keyfactor/roles/hashiwebserver allowed_domains=kftrain.lab allow_subdomains=true
			"hashiwebserver": legacytest.Role(map[string]interface{}{"allowed_domains_list": []string{"kftrain.lab"}, "allow_subdomains": true}),
			// A role from its older versions: domains as a string, max_ttl as a string.
			"legacyweb": legacytest.Role(map[string]interface{}{
				"allowed_domains": "kftrain.lab,example.com", "allowed_domains_list": nil, "max_ttl": "720h",
			}),
		},
		CACache:  []string{env.Sim.CA},
		CachePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: issued[0].cert.Raw})),
	}
	for _, c := range issued {
		layout.Certs = append(layout.Certs, c.entry)
	}
	writeLegacyLayout(ctx, t, env, layout)

	// Before: what the older plugin shows.
	rolesBefore := seedListKeys(t, env, "keyfactor/roles")
	certsBefore := seedListKeys(t, env, "keyfactor/certs")
	t.Logf("before the upgrade (older plugin): vault list keyfactor/roles = %v; vault list keyfactor/certs = %d certificates %v", rolesBefore, len(certsBefore), certsBefore)
	if len(certsBefore) != len(issued) {
		t.Fatalf("fixture: the older plugin lists %d certificates, want %d", len(certsBefore), len(issued))
	}

	// The upgrade, as Vault documents it for a plugin that reports its version: registered without
	// -version, Vault records the binary under the version it reports, beside the older plugin's
	// unversioned entry, so the mount is pointed at that version before the reload.
	mustVault(t, env, "plugin", "register", "-sha256="+env.PluginSHA256, "-command="+realvault.PluginName, "secret", realvault.PluginName)
	version := reportedPluginVersion(t, env)
	mustVault(t, env, "secrets", "tune", "-plugin-version="+version, "keyfactor")
	mustVault(t, env, "plugin", "reload", "-plugin="+realvault.PluginName)
	waitForMigratedMount(t, env)

	// After: the seed's command reference on the same mount.
	var conf vaultSecret
	mustVaultJSON(t, env, &conf, "read", "keyfactor/config")
	if conf.str(t, "url") != env.Sim.URL || conf.str(t, "username") != env.Sim.Username {
		t.Errorf("vault read keyfactor/config after the upgrade: %v", keysOf(conf.Data))
	}
	if out := mustVault(t, env, "read", "keyfactor/config"); strings.Contains(out, env.Sim.Password) {
		t.Fatal("vault read keyfactor/config printed the password")
	}

	rolesAfter := seedListKeys(t, env, "keyfactor/roles")
	if !slices.Equal(rolesAfter, rolesBefore) {
		t.Errorf("vault list keyfactor/roles = %v after the upgrade, %v before", rolesAfter, rolesBefore)
	}
	var role struct {
		Data struct {
			AllowedDomains  []string `json:"allowed_domains"`
			AllowSubdomains bool     `json:"allow_subdomains"`
			MaxTTL          int64    `json:"max_ttl"`
		} `json:"data"`
	}
	mustVaultJSON(t, env, &role, "read", "keyfactor/roles/hashiwebserver")
	if !slices.Equal(role.Data.AllowedDomains, []string{"kftrain.lab"}) || !role.Data.AllowSubdomains {
		t.Errorf("vault read keyfactor/roles/hashiwebserver = %+v", role.Data)
	}
	mustVaultJSON(t, env, &role, "read", "keyfactor/roles/legacyweb")
	if !slices.Equal(role.Data.AllowedDomains, []string{"kftrain.lab", "example.com"}) || role.Data.MaxTTL != 720*3600 {
		t.Errorf("vault read keyfactor/roles/legacyweb = %+v, want both domains and max_ttl 720h", role.Data)
	}

	certsAfter := seedListKeys(t, env, "keyfactor/certs")
	t.Logf("after the upgrade: vault list keyfactor/roles = %v; vault list keyfactor/certs = %d certificates %v", rolesAfter, len(certsAfter), certsAfter)
	for _, c := range issued {
		colon := certutil.GetHexFormatted(c.cert.SerialNumber.Bytes(), ":")
		if !slices.Contains(certsAfter, colon) {
			t.Errorf("vault list keyfactor/certs lacks %s", colon)
		}
		for _, path := range []string{"keyfactor/cert/" + c.entry.Key, "keyfactor/certs/" + c.entry.Key} {
			var read vaultSecret
			mustVaultJSON(t, env, &read, "read", path)
			if !parseCertPEM(t, read.str(t, "certificate")).Equal(c.cert) {
				t.Errorf("vault read %s returned another certificate", path)
			}
		}
	}
	if len(certsAfter) != len(issued) {
		t.Errorf("%d certificates after the upgrade, %d before", len(certsAfter), len(issued))
	}

	// vault write keyfactor/revoke serial=<old serial>: by the stored id, without searching
	// Command's inventory; the one without a stored id is found by serial.
	before, err := env.SimCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	withID := issued[0]
	mustVault(t, env, "write", "keyfactor/revoke", "serial="+withID.entry.Key)
	after, err := env.SimCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if searches := after.Requests["GET /Certificates"] - before.Requests["GET /Certificates"]; searches != 0 {
		t.Errorf("revoking a certificate with a stored id searched Command's inventory %d times", searches)
	}
	if after.Requests["POST /Certificates/Revoke"] != before.Requests["POST /Certificates/Revoke"]+1 {
		t.Errorf("POST /Certificates/Revoke counted %d -> %d", before.Requests["POST /Certificates/Revoke"], after.Requests["POST /Certificates/Revoke"])
	}
	assertRevokedInCommand(ctx, t, env, withID)
	noID := issued[2]
	mustVault(t, env, "write", "keyfactor/revoke", "serial="+noID.entry.Key)
	assertRevokedInCommand(ctx, t, env, noID)
	t.Logf("after the upgrade: vault write keyfactor/revoke serial=%s revoked Command certificate id %d (stored by the older plugin)", withID.entry.Key, withID.entry.KeyfactorID)

	// The certificate the older plugin revoked shows its revocation time.
	var revoked vaultSecret
	mustVaultJSON(t, env, &revoked, "read", "keyfactor/cert/"+issued[3].entry.Key)
	var revokedAt int64
	if err := json.Unmarshal(revoked.Data["revocation_time"], &revokedAt); err != nil || revokedAt != issued[3].entry.RevokedAt.Unix() {
		t.Errorf("revocation_time of the certificate revoked before the upgrade = %s, want %d", revoked.Data["revocation_time"], issued[3].entry.RevokedAt.Unix())
	}

	// New work on the same mount: issue and sign with the migrated role and config.
	var fresh vaultSecret
	mustVaultJSON(t, env, &fresh, "write", "keyfactor/issue/hashiwebserver", "common_name=foo.kftrain.lab", "dns_sans=foo.kftrain.lab")
	if leaf := parseCertPEM(t, fresh.str(t, "certificate")); leaf.Subject.CommonName != "foo.kftrain.lab" {
		t.Errorf("issued %s", leaf.Subject)
	}
	csr := legacyTestCSR(t, "signed.kftrain.lab")
	mustVault(t, env, "write", "keyfactor/sign/hashiwebserver", "csr="+csr)
	if n := len(seedListKeys(t, env, "keyfactor/certs")); n != len(issued)+2 {
		t.Errorf("%d certificates after issuing two more, want %d", n, len(issued)+2)
	}

	// Rolling back: the older entries restored, the older binary registered and reloaded; it
	// finds its certificates under its own keys again.
	mustVault(t, env, "write", "-force", "keyfactor/legacy-backup/restore")
	// The older binary reports no version, so it can be registered under one for the mount to
	// point at (a mount cannot be tuned back to "unversioned").
	mustVault(t, env, "plugin", "register", "-sha256="+legacySHA, "-command=keyfactor-legacy", "-version="+legacyRollbackVersion, "secret", realvault.PluginName)
	mustVault(t, env, "secrets", "tune", "-plugin-version="+legacyRollbackVersion, "keyfactor")
	mustVault(t, env, "plugin", "reload", "-plugin="+realvault.PluginName)
	rolledBack := seedListKeys(t, env, "keyfactor/certs")
	for _, c := range issued {
		if !slices.Contains(rolledBack, c.entry.Key) {
			t.Errorf("after the rollback the older plugin does not find certs/%s: %v", c.entry.Key, rolledBack)
		}
	}
	t.Logf("after a rollback (older plugin again): vault list keyfactor/certs = %d entries %v", len(rolledBack), rolledBack)

	// Upgrading again migrates again; then the copy kept for a rollback goes with the tidy flag.
	mustVault(t, env, "secrets", "tune", "-plugin-version="+version, "keyfactor")
	mustVault(t, env, "plugin", "reload", "-plugin="+realvault.PluginName)
	waitForMigratedMount(t, env)
	if n := len(seedListKeys(t, env, "keyfactor/certs")); n != len(issued)+2 {
		t.Errorf("%d certificates after upgrading again, want %d", n, len(issued)+2)
	}
	mustVault(t, env, "write", "keyfactor/tidy", "tidy_legacy_backup=true")
	if _, err := env.Vault("write", "-force", "keyfactor/legacy-backup/restore"); err == nil {
		t.Errorf("a restore after tidy_legacy_backup=true succeeded")
	}
}

// legacyIssuedCert is a certificate Command issued while the older plugin served the mount.
type legacyIssuedCert struct {
	cert  *x509.Certificate
	entry legacytest.Cert
	cn    string
}

// issueLegacyCertificates enrolls four certificates at the simulator, as the older plugin did,
// and describes how it stored them: keyed by Command's serial, one older entry keyed with
// colons, one without its id, one revoked (in Command too).
func issueLegacyCertificates(ctx context.Context, t *testing.T, env *realvault.Env) []legacyIssuedCert {
	t.Helper()
	conf, err := json.Marshal(map[string]interface{}{
		"url": env.Sim.URL, "api_path": env.Sim.APIPath, "username": env.Sim.Username, "password": env.Sim.Password,
		"domain": env.Sim.Domain, "ca": env.Sim.CA, "template": env.Sim.Template, "command_cert_path": env.Sim.CABundle,
	})
	if err != nil {
		t.Fatal(err)
	}
	drv, _, err := keyfactor.NewProvider().NewDriver(conf)
	if err != nil {
		t.Fatal(err)
	}
	var out []legacyIssuedCert
	for i, cn := range []string{"old1.kftrain.lab", "old2.kftrain.lab", "old3.kftrain.lab", "old4.kftrain.lab"} {
		block, _ := pem.Decode([]byte(legacyTestCSR(t, cn)))
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := drv.Sign(ctx, &pkicompat.SignRequest{CSR: csr, DNSNames: []string{cn}})
		if err != nil {
			t.Fatalf("enrolling %s at the simulator: %v", cn, err)
		}
		id, err := strconv.ParseInt(signed.CertificateID, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		c := legacyIssuedCert{cert: signed.Certificate, cn: cn, entry: legacytest.Cert{
			Key:         certutil.GetHexFormatted(signed.Certificate.SerialNumber.Bytes(), ""),
			PEM:         pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signed.Certificate.Raw}),
			KeyfactorID: id,
		}}
		switch i {
		case 1:
			c.entry.Key = certutil.GetHexFormatted(signed.Certificate.SerialNumber.Bytes(), ":")
		case 2:
			c.entry.KeyfactorID = 0
		case 3:
			answer, err := drv.Revoke(ctx, &pkicompat.RevokeRequest{Certificate: signed.Certificate, CertificateID: signed.CertificateID})
			if err != nil {
				t.Fatal(err)
			}
			c.entry.RevokedAt = answer.RevokedAt.Truncate(time.Second)
		}
		out = append(out, c)
	}
	return out
}

// installLegacyPlugin builds the stand-in for the older plugin into Vault's plugin directory
// and returns its sha256.
func installLegacyPlugin(t *testing.T, env *realvault.Env) string {
	t.Helper()
	bin := filepath.Join(env.Dir, "plugins", "keyfactor-legacy")
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	build := exec.Command(goTool, "build", "-o", bin, "./internal/legacyplugin")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the older plugin's stand-in: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// writeLegacyLayout stores the layout through the stand-in plugin, byte for byte.
func writeLegacyLayout(ctx context.Context, t *testing.T, env *realvault.Env, layout legacytest.Layout) {
	t.Helper()
	entries, err := layout.Entries()
	if err != nil {
		t.Fatal(err)
	}
	encoded := map[string]string{}
	for k, v := range entries {
		encoded[k] = base64.StdEncoding.EncodeToString(v)
	}
	status, _, body, err := env.Do(ctx, http.MethodPut, "keyfactor/write-legacy-layout", map[string]interface{}{"entries": encoded}, true)
	if err != nil || status != http.StatusOK {
		t.Fatalf("writing the older plugin's layout: status %d, %v: %s", status, err, body)
	}
}

// waitForMigratedMount waits until the reloaded mount answers with this engine (a role read in
// its shape). Vault reloads the plugin and initializes the mount before it serves it again; the
// bound only guards against a hang.
func waitForMigratedMount(t *testing.T, env *realvault.Env) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var role vaultSecret
		err := env.VaultJSON(&role, "read", "keyfactor/roles/hashiwebserver")
		if err == nil {
			if _, ok := role.Data["enforced_fields"]; ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mount does not answer as this plugin after the reload: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func assertRevokedInCommand(ctx context.Context, t *testing.T, env *realvault.Env, c legacyIssuedCert) {
	t.Helper()
	inventory, err := env.CommandCertificatesByCN(ctx, c.cn)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range inventory {
		if seedSerial(t, got.SerialNumber).Cmp(c.cert.SerialNumber) != 0 {
			continue
		}
		// CertState 2 is Revoked in Command's certificate model.
		if got.CertState != commandCertStateRevoked {
			t.Errorf("Command shows certificate %d (%s) in state %d, want 2 (revoked)", got.ID, c.cn, got.CertState)
		}
		if c.entry.KeyfactorID != 0 && int64(got.ID) != c.entry.KeyfactorID {
			t.Errorf("Command id %d, the older plugin stored %d", got.ID, c.entry.KeyfactorID)
		}
		return
	}
	t.Errorf("Command's inventory has no certificate %s", c.cn)
}

func legacyTestCSR(t *testing.T, cn string) string {
	t.Helper()
	return csrPEM(t, mustRSAKey(t), cn, cn)
}

// legacyRollbackVersion is the version the rollback registers the older binary under.
const legacyRollbackVersion = "v0.0.1-legacy"

// reportedPluginVersion is the version Vault's catalog holds for this plugin's binary
// (env.PluginSHA256), which Vault took from the binary itself.
func reportedPluginVersion(t *testing.T, env *realvault.Env) string {
	t.Helper()
	var catalog struct {
		Data struct {
			Detailed []struct {
				Name    string `json:"name"`
				Type    string `json:"type"`
				Version string `json:"version"`
				Builtin bool   `json:"builtin"`
			} `json:"detailed"`
		} `json:"data"`
	}
	mustVaultJSON(t, env, &catalog, "read", "sys/plugins/catalog")
	for _, p := range catalog.Data.Detailed {
		if p.Name != realvault.PluginName || p.Type != "secret" || p.Builtin || p.Version == "" {
			continue
		}
		info := readData(t, env, "read", "-format=json", "sys/plugins/catalog/secret/"+realvault.PluginName, "version="+p.Version)
		if info["sha256"] == env.PluginSHA256 {
			return p.Version
		}
	}
	t.Fatalf("the catalog holds no version of %s with sha256 %s", realvault.PluginName, env.PluginSHA256)
	return ""
}
