package pkicompat_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// TestSeedCommandReference runs the previous Keyfactor plugin's command reference, in its
// order and with its spellings, against this engine.
func TestSeedCommandReference(t *testing.T) {
	h := newHarness(t, "CorpIssuingCA", "OtherCA")
	// vault write keyfactor/config <key>=<value>, one key at a time.
	for _, kv := range [][2]string{
		{"url", "https://kftrain.keyfactor.lab"}, {"ca", "CorpIssuingCA"}, {"template", "WebServer"},
		{"username", "VaultUser"}, {"password", pkitest.Password},
	} {
		r := h.write("config", map[string]interface{}{kv[0]: kv[1], "skip_connection_check": kv[0] != "password"})
		mustOK(t, r)
	}
	// vault read keyfactor/config (and show_hidden=true)
	if _, ok := h.read("config").data(t)["password"]; ok {
		t.Fatal("config read shows the password")
	}
	if str(t, h.do("read", "config", map[string]interface{}{"show_hidden": "true"}).data(t), "password") != "<set>" {
		t.Fatal("show_hidden=true")
	}
	// vault write keyfactor/roles/<rolename> allowed_domains="<domain1>,<domain2>" allow_subdomains=true
	mustOK(t, h.write("roles/hashiwebserver", map[string]interface{}{"allowed_domains": "kftrain.lab,example.com", "allow_subdomains": "true"}))
	// vault list keyfactor/roles ; vault read keyfactor/roles/<rolename>
	if keys := strList(t, h.list("roles").data(t), "keys"); len(keys) != 1 || keys[0] != "hashiwebserver" {
		t.Fatalf("roles list: %v", keys)
	}
	mustOK(t, h.read("roles/hashiwebserver"))
	// vault write keyfactor/issue/<rolename> common_name=<CN> dns_sans=<DNS_SANS>
	d := h.write("issue/hashiwebserver", map[string]interface{}{"common_name": "foo.kftrain.lab", "dns_sans": "foo.kftrain.lab"}).data(t)
	serial := str(t, d, "serial_number")
	// ... with metadata and ca, as the seed's v1.4 example.
	mustOK(t, h.write("issue/hashiwebserver", map[string]interface{}{
		"common_name": "bar.kftrain.lab", "dns_sans": "bar.kftrain.lab",
		"metadata": `{ \"testMetadata\": \"arbitrary string value\" }`, "ca": "OtherCA",
	}))
	// vault list keyfactor/certs ; vault read keyfactor/certs/<serial number>
	if keys := strList(t, h.list("certs").data(t), "keys"); len(keys) != 2 || !contains(keys, serial) {
		t.Fatalf("certs list: %v", keys)
	}
	if num(t, h.read("certs/"+serial).data(t), "revocation_time") != 0 {
		t.Fatal("certs/<serial>")
	}
	// vault write keyfactor/revoke serial=<serial>
	mustOK(t, h.write("revoke", map[string]interface{}{"serial": serial}))
	// vault write keyfactor/sign/<role name> csr=<csr>
	csr, _ := newCSR(t, "csr.kftrain.lab", "csr.kftrain.lab")
	mustOK(t, h.write("roles/hashiwebserver", map[string]interface{}{"allowed_domains": "kftrain.lab", "allow_subdomains": true, "key_type": "ec"}))
	mustOK(t, h.write("sign/hashiwebserver", map[string]interface{}{"csr": csr}))
	// vault read keyfactor/ca ca=<ca name> ; vault read keyfactor/ca_chain ca=<ca name>
	// The vault CLI can print only JSON, so these answer cert/ca's and cert/ca_chain's shapes.
	for _, path := range []string{"ca", "ca_chain"} {
		r := h.do("read", path, map[string]interface{}{"ca": "OtherCA"})
		mustOK(t, r)
		if _, raw := r.resp.Data[logical.HTTPRawBody]; raw {
			t.Fatalf("read %s ca=OtherCA answered a raw body; the vault CLI cannot print it", path)
		}
		if pemText, _ := r.resp.Data["certificate"].(string); !strings.Contains(pemText, "BEGIN CERTIFICATE") {
			t.Fatalf("read %s ca=OtherCA: certificate = %q", path, pemText)
		}
	}
	// Without ca=, the native raw body (curl-based scripts).
	if r := h.do("read", "ca_chain", nil); r.resp == nil || r.resp.Data[logical.HTTPRawBody] == nil {
		t.Fatal("read ca_chain without ca= must stay native's raw body")
	}
	// vault delete keyfactor/roles/<rolename>
	mustOK(t, h.do("delete", "roles/hashiwebserver", nil))
}

// TestPathHelpAndOpenAPI makes sure every path documents itself (vault path-help, OpenAPI).
func TestPathHelpAndOpenAPI(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"", "config", "issue/web", "sign-verbatim", "issuer/default/sign/web", "cert/01:02", "ca_chain", "revoke", "issuers/"} {
		r := h.do("help", path, nil)
		if r.err != nil || r.resp == nil || r.resp.Data["help"] == nil {
			t.Fatalf("help for %q: %v", path, r.errorText())
		}
	}
	r := h.do("help", "", nil)
	if r.resp.Data["openapi"] == nil {
		t.Fatal("no OpenAPI document")
	}
}
