package compattest

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// issueResponse is the part of a vault CLI JSON answer the skeleton checks. Data stays raw so
// JSON types can be asserted, not just values.
type vaultSecret struct {
	LeaseID  string                     `json:"lease_id"`
	Data     map[string]json.RawMessage `json:"data"`
	Warnings []string                   `json:"warnings"`
}

func (s vaultSecret) str(t *testing.T, key string) string {
	t.Helper()
	raw, ok := s.Data[key]
	if !ok {
		t.Fatalf("response has no %q; keys: %v", key, keysOf(s.Data))
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%q is not a JSON string: %s", key, raw)
	}
	return v
}

func keysOf(m map[string]json.RawMessage) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestWalkingSkeletonAgainstRealVault is issue 2's end-to-end path: a real Vault dev server,
// the plugin registered by sha256 and enabled at keyfactor/, configured with the vault CLI
// against the Command simulator, then issue, sign, list, read, revoke and an unauthenticated
// CA read.
func TestWalkingSkeletonAgainstRealVault(t *testing.T) {
	env := startRealVault(t)
	root := simRoot(t, env)

	if err := env.EnablePlugin("keyfactor"); err != nil {
		t.Fatal(err)
	}
	if err := env.ConfigureBasic("keyfactor"); err != nil {
		t.Fatal(err)
	}
	// The config read shows the connection but never the password.
	var conf vaultSecret
	mustVaultJSON(t, env, &conf, "read", "keyfactor/config")
	if got := conf.str(t, "username"); got != env.Sim.Username {
		t.Errorf("config username = %q, want %q", got, env.Sim.Username)
	}
	rawConf, _ := json.Marshal(conf.Data)
	if strings.Contains(string(rawConf), env.Sim.Password) {
		t.Fatalf("config read returned the password: %s", rawConf)
	}

	mustVault(t, env, "write", "keyfactor/roles/web", "allowed_domains=example.com", "allow_subdomains=true")
	// `vault list -format=json` prints the keys as a bare array.
	var roles []string
	mustVaultJSON(t, env, &roles, "list", "keyfactor/roles")
	if !slices.Contains(roles, "web") {
		t.Fatalf("roles list = %v, want it to contain web", roles)
	}

	// Issue: key generated in the plugin, names checked by the role, signed by Command.
	var issued vaultSecret
	mustVaultJSON(t, env, &issued, "write", "keyfactor/issue/web",
		"common_name=www.example.com", "alt_names=api.example.com", "ip_sans=127.0.0.1")
	leaf := parseCertPEM(t, issued.str(t, "certificate"))
	if leaf.Subject.CommonName != "www.example.com" {
		t.Errorf("issued CN = %q", leaf.Subject.CommonName)
	}
	for _, name := range []string{"www.example.com", "api.example.com"} {
		if !slices.Contains(leaf.DNSNames, name) {
			t.Errorf("issued DNS SANs %v lack %s", leaf.DNSNames, name)
		}
	}
	if len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "127.0.0.1" {
		t.Errorf("issued IP SANs = %v, want [127.0.0.1]", leaf.IPAddresses)
	}
	var chain []string
	if err := json.Unmarshal(issued.Data["ca_chain"], &chain); err != nil {
		t.Fatalf("ca_chain is not a JSON array of strings: %s", issued.Data["ca_chain"])
	}
	verifyChain(t, leaf, chain, root)
	if !strings.EqualFold(parseCertPEM(t, chain[len(chain)-1]).Subject.String(), root.Subject.String()) {
		t.Errorf("ca_chain does not end with the root, as native's does")
	}
	var expiration json.Number
	dec := json.NewDecoder(strings.NewReader(string(issued.Data["expiration"])))
	dec.UseNumber()
	if err := dec.Decode(&expiration); err != nil {
		t.Fatalf("expiration is not a JSON number: %s", issued.Data["expiration"])
	}
	if exp, err := expiration.Int64(); err != nil || exp != leaf.NotAfter.Unix() {
		t.Errorf("expiration = %s, want %d", expiration, leaf.NotAfter.Unix())
	}
	serial := issued.str(t, "serial_number")
	if want := colonHex(leaf.SerialNumber.Bytes()); serial != want {
		t.Errorf("serial_number = %q, want %q", serial, want)
	}
	if got := issued.str(t, "private_key_type"); got != "rsa" {
		t.Errorf("private_key_type = %q, want rsa (native role default)", got)
	}
	if block, _ := pem.Decode([]byte(issued.str(t, "private_key"))); block == nil || block.Type != "RSA PRIVATE KEY" {
		t.Errorf("private_key is not an RSA PRIVATE KEY PEM block")
	}
	if issued.str(t, "issuing_ca") != strings.TrimSpace(chain[0]) {
		t.Errorf("issuing_ca differs from ca_chain[0]")
	}

	// Sign: a CSR made outside Vault, names checked against the role.
	csrPath := writeCSR(t, "signed.example.com", "other.example.com")
	var signed vaultSecret
	mustVaultJSON(t, env, &signed, "write", "keyfactor/sign/web", "csr=@"+csrPath, "common_name=signed.example.com")
	signedLeaf := parseCertPEM(t, signed.str(t, "certificate"))
	verifyChain(t, signedLeaf, chain, root)
	if _, ok := signed.Data["private_key"]; ok {
		t.Errorf("sign answered a private_key")
	}
	badCSR := writeCSR(t, "signed.example.com", "evil.other.com")
	_, err := env.Vault("write", "keyfactor/sign/web", "csr=@"+badCSR, "common_name=signed.example.com")
	errorContains(t, err, "evil.other.com not allowed by this role")

	// List and read.
	var certs []string
	mustVaultJSON(t, env, &certs, "list", "keyfactor/certs")
	signedSerial := signed.str(t, "serial_number")
	for _, s := range []string{serial, signedSerial} {
		if !slices.Contains(certs, s) {
			t.Errorf("certs list %v lacks %s", certs, s)
		}
	}
	var read vaultSecret
	mustVaultJSON(t, env, &read, "read", "keyfactor/cert/"+serial)
	if read.str(t, "certificate") != strings.TrimSpace(issued.str(t, "certificate")) {
		t.Errorf("cert/%s returned another certificate", serial)
	}

	// Revoke by serial; the record shows the revocation time afterwards.
	var revoked vaultSecret
	mustVaultJSON(t, env, &revoked, "write", "keyfactor/revoke", "serial_number="+serial)
	var revTime int64
	if err := json.Unmarshal(revoked.Data["revocation_time"], &revTime); err != nil || revTime == 0 {
		t.Fatalf("revoke answered revocation_time %s, want a non-zero integer", revoked.Data["revocation_time"])
	}
	mustVaultJSON(t, env, &read, "read", "keyfactor/cert/"+serial)
	var readRevTime int64
	if err := json.Unmarshal(read.Data["revocation_time"], &readRevTime); err != nil || readRevTime != revTime {
		t.Errorf("cert/%s revocation_time = %s, want %d", serial, read.Data["revocation_time"], revTime)
	}

	// The CA certificate is readable without a token, as scripts curl it from native PKI.
	status, header, body, err := env.Do(context.Background(), http.MethodGet, "keyfactor/ca/pem", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK {
		t.Fatalf("unauthenticated ca/pem: status %d: %s", status, body)
	}
	if ct := header.Get("Content-Type"); ct != "application/pem-certificate-chain" {
		t.Errorf("ca/pem content type = %q, want application/pem-certificate-chain", ct)
	}
	if parseCertPEM(t, string(body)).Subject.CommonName != parseCertPEM(t, chain[0]).Subject.CommonName {
		t.Errorf("ca/pem is not the issuing CA")
	}
	// ca_chain is a raw PEM body on native too (so `vault read` cannot print it): check it as
	// curl would, without a token.
	status, header, body, err = env.Do(context.Background(), http.MethodGet, "keyfactor/ca_chain", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK || header.Get("Content-Type") != "application/pkix-cert" {
		t.Fatalf("unauthenticated ca_chain: status %d, content type %q", status, header.Get("Content-Type"))
	}
	if got, want := strings.Count(string(body), "BEGIN CERTIFICATE"), len(chain); got != want {
		t.Errorf("ca_chain has %d certificates, issue's ca_chain has %d", got, want)
	}

	// Bad input through the real server: clear 4xx answers.
	_, err = env.Vault("write", "keyfactor/issue/nope", "common_name=www.example.com")
	errorContains(t, err, "unknown role: nope")
	_, err = env.Vault("write", "keyfactor/issue/web", "common_name=www.other.com")
	errorContains(t, err, "common name www.other.com not allowed by this role")
}

// writeCSR writes a PEM CSR (RSA 2048, what a default role requires) with cn and dnsNames to a
// temporary file.
func writeCSR(t *testing.T, cn string, dnsNames ...string) string {
	t.Helper()
	_, text := testcerts.CSR(t, testcerts.RSAKey(t, 2048), testcerts.Names(cn, dnsNames...))
	path := filepath.Join(t.TempDir(), "req.csr")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// colonHex formats bytes as native PKI formats serials: lowercase hex pairs joined by ':'.
func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = hexByte(c)
	}
	return strings.Join(parts, ":")
}

func hexByte(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0x0f]})
}
