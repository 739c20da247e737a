package compattest

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// The old Keyfactor plugin's documentation ends with a command reference for a mount named
// "keyfactor". Its users move to this plugin with those commands in their scripts, so each one
// runs here verbatim through the real vault CLI. Where that reference has placeholders the values
// are the documentation's own examples (kftrain.lab, hashiwebserver, foo.kftrain.lab, myCA,
// test.com, testMetadata).

const (
	// seedCAName is the CA the seed's examples pass as ca="myCA": a CA of the simulator's
	// inventory known by its logical name alone, as Command accepts it.
	seedCAName = "myCA"
	// seedMetadataField is the metadata field of the seed's example; the simulator must know it
	// for Command to accept it.
	seedMetadataField = "testMetadata"
	seedMetadataValue = "arbitrary string value"
)

// inventoryForSeedExamples is the simulator's default inventory plus what the seed's examples
// name: a CA called myCA and a String metadata field testMetadata. It is written as an
// inventory file for cmd/commandsim's -inventory flag.
func inventoryForSeedExamples(t *testing.T) string {
	t.Helper()
	inv := commandtest.DefaultInventory()
	inv.CAs = append(inv.CAs, commandtest.InventoryCA{HostName: commandtest.DefaultCAHost, LogicalName: seedCAName, KeyType: "RSA", KeyBits: 2048})
	inv.MetadataFields = append(inv.MetadataFields, commandtest.InventoryMetadataField{
		Name: seedMetadataField, Description: "The seed document's metadata example", DataType: "String",
	})
	raw, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "inventory.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// seedListKeys runs `vault list <path>` and returns the keys.
func seedListKeys(t *testing.T, env *realvault.Env, path string) []string {
	t.Helper()
	var keys []string
	mustVaultJSON(t, env, &keys, "list", path)
	return keys
}

// seedPEMCerts collects every certificate found in the string values of a CLI JSON answer,
// whatever the key (the old plugin answered the CA under other key names than native).
func seedPEMCerts(t *testing.T, data map[string]json.RawMessage) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for _, key := range keysOf(data) {
		var values []string
		var s string
		if err := json.Unmarshal(data[key], &s); err == nil {
			values = []string{s}
		} else if err := json.Unmarshal(data[key], &values); err != nil {
			continue
		}
		for _, v := range values {
			rest := []byte(v)
			for {
				block, next := pem.Decode(rest)
				if block == nil {
					break
				}
				rest = next
				if block.Type != "CERTIFICATE" {
					continue
				}
				cert, err := x509.ParseCertificate(block.Bytes)
				if err != nil {
					t.Fatalf("data.%s holds an unparsable certificate: %v", key, err)
				}
				certs = append(certs, cert)
			}
		}
	}
	return certs
}

func seedHasCN(certs []*x509.Certificate, cn string) bool {
	return slices.ContainsFunc(certs, func(c *x509.Certificate) bool { return c.Subject.CommonName == cn })
}

// seedSerial parses a serial number in any spelling (colons, hyphens, none; any case).
func seedSerial(t *testing.T, s string) *big.Int {
	t.Helper()
	hex := strings.NewReplacer(":", "", "-", "").Replace(s)
	n, ok := new(big.Int).SetString(hex, 16)
	if !ok {
		t.Fatalf("serial %q is not hexadecimal", s)
	}
	return n
}

// TestSeedCommandReferenceVerbatim runs every command of the seed's command reference, in its
// order, on a mount named keyfactor, then the seed's metadata example.
func TestSeedCommandReferenceVerbatim(t *testing.T) {
	env := startRealVault(t, "-inventory", inventoryForSeedExamples(t))
	root := simRoot(t, env)

	// Installation as the seed shows it: the plugin registered as "keyfactor" (done by the
	// harness, by sha256), then enabled under its own name.
	if out := mustVault(t, env, "secrets", "enable", "keyfactor"); !strings.Contains(out, "Success! Enabled the keyfactor secrets engine at: keyfactor/") {
		t.Fatalf("vault secrets enable keyfactor printed %q", out)
	}

	// vault write keyfactor/config <key>=<value> — the documented keys.
	mustVault(t, env, "write", "keyfactor/config",
		"url="+env.Sim.URL,
		"api_path="+env.Sim.APIPath,
		"ca="+env.Sim.CA,
		"template="+env.Sim.Template,
		"username="+env.Sim.Username,
		"domain="+env.Sim.Domain,
		"password="+env.Sim.Password,
		"skip_verify=false",
		"command_cert_path="+env.Sim.CABundle,
	)

	// vault read keyfactor/config — settings shown, the password never.
	var conf vaultSecret
	mustVaultJSON(t, env, &conf, "read", "keyfactor/config")
	for key, want := range map[string]string{
		"url": env.Sim.URL, "api_path": env.Sim.APIPath, "ca": env.Sim.CA,
		"template": env.Sim.Template, "username": env.Sim.Username, "domain": env.Sim.Domain,
	} {
		if got := conf.str(t, key); got != want {
			t.Errorf("config %s = %q, want %q", key, got, want)
		}
	}
	// vault read keyfactor/config show_hidden=true — the seed's way to see hidden values; the
	// plugin reports that the password is set without printing it.
	for _, args := range [][]string{{"read", "keyfactor/config"}, {"read", "keyfactor/config", "show_hidden=true"}} {
		out := mustVault(t, env, args...)
		if strings.Contains(out, env.Sim.Password) {
			t.Fatalf("vault %s printed the password", strings.Join(args, " "))
		}
		if !strings.Contains(out, env.Sim.URL) {
			t.Errorf("vault %s does not show the url:\n%s", strings.Join(args, " "), out)
		}
	}
	if out := mustVault(t, env, "read", "keyfactor/config", "show_hidden=true"); !strings.Contains(out, "password") {
		t.Errorf("vault read keyfactor/config show_hidden=true says nothing about the password:\n%s", out)
	}

	// The seed sets values one at a time (vault write <instance name>/config <key>="<value>"):
	// a write of one key changes that key and keeps the others.
	mustVault(t, env, "write", "keyfactor/config", "template="+commandtest.DefaultTemplate)
	var updated vaultSecret
	mustVaultJSON(t, env, &updated, "read", "keyfactor/config")
	if updated.str(t, "url") != env.Sim.URL || updated.str(t, "username") != env.Sim.Username || updated.str(t, "template") != commandtest.DefaultTemplate {
		t.Errorf("a one-key config write lost the other keys: %v", keysOf(updated.Data))
	}

	// vault write keyfactor/roles/<rolename> allowed_domains="<domain1>,<domain2>" allow_subdomains=true
	mustVault(t, env, "write", "keyfactor/roles/hashiwebserver", "allowed_domains=kftrain.lab,example.com", "allow_subdomains=true")
	// The seed: use "*" in allowed_domains to allow any domain (its metadata example issues for test.com).
	mustVault(t, env, "write", "keyfactor/roles/hashiIssuer", "allowed_domains=*", "allow_subdomains=true")
	mustVault(t, env, "write", "keyfactor/roles/retired", "allowed_domains=old.kftrain.lab", "allow_subdomains=true")

	// vault list keyfactor/roles
	roles := seedListKeys(t, env, "keyfactor/roles")
	for _, name := range []string{"hashiwebserver", "hashiIssuer", "retired"} {
		if !slices.Contains(roles, name) {
			t.Errorf("vault list keyfactor/roles = %v, lacks %s", roles, name)
		}
	}

	// vault read keyfactor/roles/<rolename>
	var role struct {
		Data struct {
			AllowedDomains  []string `json:"allowed_domains"`
			AllowSubdomains bool     `json:"allow_subdomains"`
		} `json:"data"`
	}
	mustVaultJSON(t, env, &role, "read", "keyfactor/roles/hashiwebserver")
	if !slices.Equal(role.Data.AllowedDomains, []string{"kftrain.lab", "example.com"}) || !role.Data.AllowSubdomains {
		t.Errorf("vault read keyfactor/roles/hashiwebserver = %+v, want both domains and allow_subdomains", role.Data)
	}

	// vault delete keyfactor/roles/<rolename>
	mustVault(t, env, "delete", "keyfactor/roles/retired")
	if roles := seedListKeys(t, env, "keyfactor/roles"); slices.Contains(roles, "retired") {
		t.Errorf("after vault delete keyfactor/roles/retired the list still has it: %v", roles)
	}
	if _, err := env.Vault("read", "keyfactor/roles/retired"); err == nil {
		t.Errorf("vault read of a deleted role succeeded")
	}

	// vault write keyfactor/issue/<rolename> common_name=<CN> dns_sans=<DNS_SANS> — the seed's
	// example, then two DNS SANs.
	var issued vaultSecret
	mustVaultJSON(t, env, &issued, "write", "keyfactor/issue/hashiwebserver", "common_name=foo.kftrain.lab", "dns_sans=foo.kftrain.lab")
	leaf := parseCertPEM(t, issued.str(t, "certificate"))
	if leaf.Subject.CommonName != "foo.kftrain.lab" || !slices.Contains(leaf.DNSNames, "foo.kftrain.lab") {
		t.Errorf("issued CN %q SANs %v, want foo.kftrain.lab", leaf.Subject.CommonName, leaf.DNSNames)
	}
	var chain []string
	if err := json.Unmarshal(issued.Data["ca_chain"], &chain); err != nil {
		t.Fatalf("ca_chain is not a list of PEM strings: %s", issued.Data["ca_chain"])
	}
	verifyChain(t, leaf, chain, root)
	var twoSANs vaultSecret
	mustVaultJSON(t, env, &twoSANs, "write", "keyfactor/issue/hashiwebserver", "common_name=web.kftrain.lab", "dns_sans=web.kftrain.lab,www.example.com")
	if got := parseCertPEM(t, twoSANs.str(t, "certificate")).DNSNames; !slices.Contains(got, "web.kftrain.lab") || !slices.Contains(got, "www.example.com") {
		t.Errorf("dns_sans=web.kftrain.lab,www.example.com gave DNS SANs %v", got)
	}
	if _, err := env.Vault("write", "keyfactor/issue/hashiwebserver", "common_name=foo.other.lab", "dns_sans=foo.other.lab"); err == nil {
		t.Errorf("a name outside the role's allowed_domains was issued")
	}

	// vault list keyfactor/certs
	serial := issued.str(t, "serial_number")
	if certs := seedListKeys(t, env, "keyfactor/certs"); !slices.Contains(certs, serial) {
		t.Errorf("vault list keyfactor/certs = %v, lacks %s", certs, serial)
	}

	// vault read keyfactor/certs/<serial number> (and cert/<serial>, the seed's other spelling).
	for _, path := range []string{"keyfactor/certs/" + serial, "keyfactor/cert/" + serial} {
		var read vaultSecret
		mustVaultJSON(t, env, &read, "read", path)
		if !parseCertPEM(t, read.str(t, "certificate")).Equal(leaf) {
			t.Errorf("vault read %s returned another certificate", path)
		}
	}

	// vault write keyfactor/revoke serial=<serial>
	mustVault(t, env, "write", "keyfactor/revoke", "serial="+serial)
	var afterRevoke vaultSecret
	mustVaultJSON(t, env, &afterRevoke, "read", "keyfactor/certs/"+serial)
	var revokedAt int64
	if err := json.Unmarshal(afterRevoke.Data["revocation_time"], &revokedAt); err != nil || revokedAt == 0 {
		t.Errorf("after vault write keyfactor/revoke serial=%s, revocation_time = %s", serial, afterRevoke.Data["revocation_time"])
	}

	// vault write keyfactor/sign/<role name> csr=<csr> — the CSR text itself as the value.
	key := testcerts.RSAKey(t, 2048)
	_, csr := testcerts.CSR(t, key, testcerts.Names("signed.kftrain.lab", "signed.kftrain.lab"))
	var signed vaultSecret
	mustVaultJSON(t, env, &signed, "write", "keyfactor/sign/hashiwebserver", "csr="+csr)
	signedLeaf := parseCertPEM(t, signed.str(t, "certificate"))
	if pub, ok := signedLeaf.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) || signedLeaf.Subject.CommonName != "signed.kftrain.lab" {
		t.Errorf("vault write keyfactor/sign/hashiwebserver csr=<csr> signed %s with another key", signedLeaf.Subject)
	}
	verifyChain(t, signedLeaf, chain, root)

	// vault read keyfactor/ca ca=<ca name> and vault read keyfactor/ca_chain ca=<ca name>: the
	// named CA, not the configured one.
	for _, tc := range []struct {
		path      string
		wantChain bool
	}{{"keyfactor/ca", false}, {"keyfactor/ca_chain", true}} {
		var answer vaultSecret
		if err := env.VaultJSON(&answer, "read", tc.path, "ca="+seedCAName); err != nil {
			t.Errorf("vault read %s ca=%s (seed command reference): %v", tc.path, seedCAName, err)
			continue
		}
		certs := seedPEMCerts(t, answer.Data)
		if !seedHasCN(certs, seedCAName) {
			t.Errorf("vault read %s ca=%s does not show the %s certificate (got %d certificates)", tc.path, seedCAName, seedCAName, len(certs))
		}
		if seedHasCN(certs, commandtest.DefaultCALogicalName) {
			t.Errorf("vault read %s ca=%s shows the configured CA instead of the named one", tc.path, seedCAName)
		}
		if tc.wantChain && !slices.ContainsFunc(certs, func(c *x509.Certificate) bool { return c.Equal(root) }) {
			t.Errorf("vault read %s ca=%s lacks the root", tc.path, seedCAName)
		}
	}

	// The seed's metadata example. The document escapes the quotes for the Windows shell; the
	// value that reaches vault is this JSON object.
	var withMeta vaultSecret
	mustVaultJSON(t, env, &withMeta, "write", "keyfactor/issue/hashiIssuer",
		"common_name=test.com", "dns_sans=test.com",
		`metadata={ "testMetadata": "arbitrary string value" }`, "ca="+seedCAName)
	metaLeaf := parseCertPEM(t, withMeta.str(t, "certificate"))
	if metaLeaf.Issuer.CommonName != seedCAName {
		t.Errorf("ca=%s issued by %q", seedCAName, metaLeaf.Issuer.CommonName)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inventory, err := env.CommandCertificatesByCN(ctx, "test.com")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range inventory {
		if seedSerial(t, c.SerialNumber).Cmp(metaLeaf.SerialNumber) != 0 {
			continue
		}
		found = true
		if got := c.Metadata[seedMetadataField]; got != seedMetadataValue {
			t.Errorf("Command recorded metadata %v for the certificate, want %s=%q", c.Metadata, seedMetadataField, seedMetadataValue)
		}
	}
	if !found {
		t.Errorf("Command's inventory has no certificate with serial %s for test.com (%d found)", withMeta.str(t, "serial_number"), len(inventory))
	}
	if _, err := env.Vault("write", "keyfactor/issue/hashiIssuer", "common_name=test.com", `metadata={ "testMetadata": `); err == nil {
		t.Errorf("metadata that is not JSON was accepted")
	}
}
