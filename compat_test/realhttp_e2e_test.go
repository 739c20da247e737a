package compattest

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	pathpkg "path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// Level 2 of the compatibility suite: one real `vault server -dev` with native PKI at pki/ and
// the plugin beside it; the same client script over real HTTP against both, then the swap.
// The script is what a team's automation does to pki/ (roles, issue, sign, fetch with and
// without a token, list, revoke, CRL). Each answer is reduced to what an HTTP client can tell
// apart: status, content type, the kind of a raw body, error texts, lease shape and, for JSON
// answers, every data key with its JSON type and the kind of value it holds. Certificates are
// issued by two different CAs here, so their fields are compared in level 1, not here.

const (
	l2ScenarioSideBySide = "http/side-by-side"
	l2ScenarioSwap       = "http/swap"
	l2UnknownSerial      = "01:02:03:04:05:06:07:08:09:0a"
)

// httpMount is one mount of a real Vault as a compare.Target: requests go over HTTP to
// /v1/<mount>/<path>, with the root token unless the request says NoToken.
type httpMount struct {
	env   *realvault.Env
	mount string
	label string
}

// Name is the mount's label in messages.
func (m httpMount) Name() string { return m.label }

// Send sends req to Vault's API and reads the answer as a client does.
func (m httpMount) Send(t testing.TB, req compare.Request) *compare.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	status, header, raw, err := m.env.Do(ctx, req.Method(), pathpkg.Join(m.mount, req.Path), req.Data, !req.NoToken)
	if err != nil {
		t.Fatalf("%s: %s: %v", m.label, req, err)
	}
	return compare.ObserveHTTP(status, header, raw)
}

// l2Client plays the client script against one mount and records every exchange.
type l2Client struct {
	t     *testing.T
	label string
	rec   *compare.Recorder
}

func (c *l2Client) errorf(format string, args ...interface{}) {
	c.t.Helper()
	c.t.Errorf("%s: %s", c.label, fmt.Sprintf(format, args...))
}

// call sends one request. step names the request in the comparison; path is relative to the
// mount. authenticated=false sends no token.
func (c *l2Client) call(step string, op logical.Operation, path string, body map[string]interface{}, authenticated bool) *compare.Observation {
	c.t.Helper()
	return c.rec.Send(c.t, compare.Request{Step: step, Op: op, Path: path, Data: body, NoToken: !authenticated})
}

// want fails the step when the status is not the one every PKI client of this request expects.
func (c *l2Client) want(step string, resp *compare.Observation, status int) bool {
	c.t.Helper()
	if resp.Status != status {
		c.errorf("%s: status %d, want %d; body: %s", step, resp.Status, status, truncate(string(resp.Body), 400))
		return false
	}
	return true
}

func (c *l2Client) dataString(step string, resp *compare.Observation, key string) string {
	c.t.Helper()
	if !resp.Envelope {
		c.errorf("%s: answer is not JSON: %s", step, truncate(string(resp.Body), 200))
		return ""
	}
	v, ok := resp.Data[key].(string)
	if !ok {
		c.errorf("%s: data.%s is %T (%v), want a string", step, key, resp.Data[key], resp.Data[key])
	}
	return v
}

func (c *l2Client) dataInt(step string, resp *compare.Observation, key string) int64 {
	c.t.Helper()
	if !resp.Envelope {
		c.errorf("%s: answer is not JSON", step)
		return 0
	}
	n, ok := resp.Data[key].(json.Number)
	if !ok {
		c.errorf("%s: data.%s is %T (%v), want a JSON number", step, key, resp.Data[key], resp.Data[key])
		return 0
	}
	v, err := n.Int64()
	if err != nil {
		c.errorf("%s: data.%s = %s is not an integer", step, key, n)
	}
	return v
}

func (c *l2Client) dataStrings(step string, resp *compare.Observation, key string) []string {
	c.t.Helper()
	if !resp.Envelope {
		c.errorf("%s: answer is not JSON", step)
		return nil
	}
	arr, ok := resp.Data[key].([]interface{})
	if !ok {
		c.errorf("%s: data.%s is %T, want a JSON array", step, key, resp.Data[key])
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			c.errorf("%s: data.%s[%d] is %T, want a string", step, key, i, e)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (c *l2Client) wantError(step string, resp *compare.Observation, status int, text string) {
	c.t.Helper()
	if !c.want(step, resp, status) {
		return
	}
	if !resp.Envelope || resp.Error != text {
		c.errorf("%s: errors = %s, want %q", step, truncate(string(resp.Body), 300), text)
	}
}

// l2Issued is what the script keeps from an issuance.
type l2Issued struct {
	serial string
	leaf   *x509.Certificate
}

// runClientScript is the automation a team runs against pki/: the same requests whatever is
// mounted. Its assertions are the ones such clients depend on; every answer is also recorded
// for the comparison.
func runClientScript(t *testing.T, env *realvault.Env, mount, label string) []compare.Exchange {
	t.Helper()
	c := &l2Client{t: t, label: label, rec: &compare.Recorder{Target: httpMount{env: env, mount: mount, label: label}}}

	// Roles, as terraform's vault_pki_secret_backend_role writes and reads them.
	resp := c.call("role write", logical.UpdateOperation, "roles/web", map[string]interface{}{
		"allowed_domains": "example.com", "allow_subdomains": true,
	}, true)
	if resp.Status != http.StatusOK && resp.Status != http.StatusNoContent {
		c.errorf("role write: status %d: %s", resp.Status, truncate(string(resp.Body), 300))
	}
	resp = c.call("role read", logical.ReadOperation, "roles/web", nil, true)
	if c.want("role read", resp, http.StatusOK) {
		if got := c.dataStrings("role read", resp, "allowed_domains"); !slices.Equal(got, []string{"example.com"}) {
			c.errorf("role read: allowed_domains = %v, want [example.com]", got)
		}
		if resp.Data["allow_subdomains"] != true {
			c.errorf("role read: allow_subdomains is not true: %s", truncate(string(resp.Body), 300))
		}
	}
	resp = c.call("role list", logical.ListOperation, "roles", nil, true)
	if c.want("role list", resp, http.StatusOK) && !slices.Contains(c.dataStrings("role list", resp, "keys"), "web") {
		c.errorf("role list: keys lack web: %s", resp.Body)
	}

	// The issuing CA as an unauthenticated script fetches it; everything issued must chain to it.
	resp = c.call("ca/pem", logical.ReadOperation, "ca/pem", nil, false)
	var issuingCA *x509.Certificate
	if c.want("ca/pem", resp, http.StatusOK) {
		l2WantContentType(c, "ca/pem", resp, "application/pem-certificate-chain")
		issuingCA = l2ParseCert(c, "ca/pem", string(resp.Body))
	}
	if issuingCA == nil {
		t.Fatalf("%s: cannot continue without the issuing CA", label)
	}

	// Issue in every format clients ask for.
	leaf := c.issue("issue pem", map[string]interface{}{
		"common_name": "www.example.com", "alt_names": "api.example.com", "ip_sans": "127.0.0.1", "ttl": "24h",
	}, issuingCA)
	c.issueDER(issuingCA)
	c.issueBundle(issuingCA)
	resp = c.call("issue pkcs8", logical.UpdateOperation, "issue/web", map[string]interface{}{
		"common_name": "pkcs8.example.com", "private_key_format": "pkcs8",
	}, true)
	var pkcs8 l2IssuedWithKey
	if c.want("issue pkcs8", resp, http.StatusOK) {
		pkcs8.key = c.dataString("issue pkcs8", resp, "private_key")
		pkcs8.serial = c.dataString("issue pkcs8", resp, "serial_number")
		if block, _ := pem.Decode([]byte(pkcs8.key)); block == nil || block.Type != "PRIVATE KEY" {
			c.errorf("issue pkcs8: private_key is not a PKCS#8 PRIVATE KEY block")
		}
	}
	c.issueWithoutRoots(issuingCA)
	signed := c.sign(issuingCA)
	c.signCertManagerShape(issuingCA)
	c.issuerScopedAndVerbatim(issuingCA)
	c.roleLifecycle()
	c.maintenance()

	// Fetch by serial in the three spellings, with no token, JSON and raw.
	for _, form := range []struct{ step, serial string }{
		{"cert read colon", leaf.serial},
		{"cert read hyphen", strings.ReplaceAll(leaf.serial, ":", "-")},
		{"cert read upper", strings.ToUpper(leaf.serial)},
	} {
		resp = c.call(form.step, logical.ReadOperation, "cert/"+form.serial, nil, false)
		if c.want(form.step, resp, http.StatusOK) {
			if got := l2ParseCert(c, form.step, c.dataString(form.step, resp, "certificate")); got != nil && !got.Equal(leaf.leaf) {
				c.errorf("%s: returned another certificate", form.step)
			}
			if c.dataInt(form.step, resp, "revocation_time") != 0 {
				c.errorf("%s: revocation_time is not 0 for a valid certificate", form.step)
			}
		}
	}
	resp = c.call("cert raw", logical.ReadOperation, "cert/"+leaf.serial+"/raw", nil, false)
	if c.want("cert raw", resp, http.StatusOK) {
		l2WantContentType(c, "cert raw", resp, "application/pkix-cert")
		if !bytes.Equal(resp.Body, leaf.leaf.Raw) {
			c.errorf("cert raw: body is not the certificate's DER")
		}
	}
	resp = c.call("cert raw pem", logical.ReadOperation, "cert/"+leaf.serial+"/raw/pem", nil, false)
	if c.want("cert raw pem", resp, http.StatusOK) {
		l2WantContentType(c, "cert raw pem", resp, "application/pem-certificate-chain")
		if got := l2ParseCert(c, "cert raw pem", string(resp.Body)); got != nil && !got.Equal(leaf.leaf) {
			c.errorf("cert raw pem: body is not the certificate")
		}
	}
	resp = c.call("cert unknown", logical.ReadOperation, "cert/"+l2UnknownSerial, nil, false)
	c.want("cert unknown", resp, http.StatusNotFound)
	resp = c.call("cert raw unknown", logical.ReadOperation, "cert/"+l2UnknownSerial+"/raw", nil, false)
	if c.want("cert raw unknown", resp, http.StatusNoContent) && len(resp.Body) != 0 {
		c.errorf("cert raw unknown: body is not empty")
	}

	// CA, chain and CRL, unauthenticated, JSON and raw.
	c.fetchCAs(issuingCA)
	c.issuerCRLs()
	crl := c.fetchCRLs(issuingCA)
	if crl != nil && l2CRLHas(crl, leaf.leaf.SerialNumber) {
		c.errorf("crl: lists %s before it was revoked", leaf.serial)
	}
	resp = c.call("issuers list", logical.ListOperation, "issuers", nil, false)
	if c.want("issuers list", resp, http.StatusOK) && len(c.dataStrings("issuers list", resp, "keys")) == 0 {
		c.errorf("issuers list: no issuers")
	}

	// Listings need a token; issuing without one is refused by Vault itself.
	resp = c.call("certs list", logical.ListOperation, "certs", nil, true)
	if c.want("certs list", resp, http.StatusOK) {
		keys := c.dataStrings("certs list", resp, "keys")
		for _, s := range []string{leaf.serial, signed.serial} {
			if !slices.Contains(keys, s) {
				c.errorf("certs list: %v lacks %s", keys, s)
			}
		}
	}
	resp = c.call("certs list without token", logical.ListOperation, "certs", nil, false)
	c.want("certs list without token", resp, http.StatusForbidden)
	resp = c.call("issue without token", logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "www.example.com"}, false)
	c.want("issue without token", resp, http.StatusForbidden)

	c.revoke(leaf, issuingCA)
	c.revokeOtherWays(signed, pkcs8)

	// Caller mistakes answer 4xx with native's texts.
	resp = c.call("issue unknown role", logical.UpdateOperation, "issue/nope", map[string]interface{}{"common_name": "www.example.com"}, true)
	c.wantError("issue unknown role", resp, http.StatusBadRequest, "unknown role: nope")
	resp = c.call("issue name not allowed", logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "www.other.com"}, true)
	c.wantError("issue name not allowed", resp, http.StatusBadRequest, "common name www.other.com not allowed by this role")
	resp = c.call("issue bad format", logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "www.example.com", "format": "p12"}, true)
	c.wantError("issue bad format", resp, http.StatusBadRequest, `the "format" path parameter must be "pem", "der", or "pem_bundle"`)
	resp = c.call("revoke unknown serial", logical.UpdateOperation, "revoke", map[string]interface{}{"serial_number": l2UnknownSerial}, true)
	c.wantError("revoke unknown serial", resp, http.StatusBadRequest, "certificate with serial "+l2UnknownSerial+" not found.")
	resp = c.call("sign bad csr", logical.UpdateOperation, "sign/web", map[string]interface{}{"csr": "not a csr", "common_name": "x.example.com"}, true)
	if resp.Status != http.StatusBadRequest {
		c.errorf("sign bad csr: status %d, want 400: %s", resp.Status, truncate(string(resp.Body), 300))
	}
	return c.rec.Transcript
}

// l2IssuedWithKey is an issued certificate's serial and private key (PEM).
type l2IssuedWithKey struct {
	serial, key string
}

// issueWithoutRoots asks as terraform does with remove_roots_from_chain=true: ca_chain keeps
// the issuing CA and drops the self-signed root.
func (c *l2Client) issueWithoutRoots(issuingCA *x509.Certificate) {
	c.t.Helper()
	const step = "issue remove_roots_from_chain"
	resp := c.call(step, logical.UpdateOperation, "issue/web", map[string]interface{}{
		"common_name": "noroot.example.com", "remove_roots_from_chain": "true",
	}, true)
	if !c.want(step, resp, http.StatusOK) {
		return
	}
	chain := c.dataStrings(step, resp, "ca_chain")
	if len(chain) == 0 {
		c.errorf("%s: ca_chain is empty; the issuing CA is not a root and must stay", step)
		return
	}
	for i, p := range chain {
		if cert := l2ParseCert(c, step, p); cert != nil && cert.CheckSignatureFrom(cert) == nil {
			c.errorf("%s: ca_chain[%d] is self-signed (%s)", step, i, cert.Subject)
		}
	}
	if first := l2ParseCert(c, step, chain[0]); first != nil && !first.Equal(issuingCA) {
		c.errorf("%s: ca_chain[0] is not the issuing CA", step)
	}
}

// signCertManagerShape sends a sign request shaped as cert-manager's Vault issuer sends it:
// every value a string, empty SAN lists, exclude_cn_from_sans "true", ttl "2160h0m0s".
func (c *l2Client) signCertManagerShape(issuingCA *x509.Certificate) {
	c.t.Helper()
	const step = "sign cert-manager shape"
	csr := c.l2CSR("cm.example.com", "cm.example.com", "cm-alt.example.com")
	resp := c.call(step, logical.UpdateOperation, "sign/web", map[string]interface{}{
		"common_name":          "cm.example.com",
		"alt_names":            "cm.example.com,cm-alt.example.com",
		"ip_sans":              "",
		"uri_sans":             "",
		"ttl":                  "2160h0m0s",
		"csr":                  csr,
		"exclude_cn_from_sans": "true",
	}, true)
	if !c.want(step, resp, http.StatusOK) {
		return
	}
	if leaf := l2ParseCert(c, step, c.dataString(step, resp, "certificate")); leaf != nil {
		l2CheckIssued(c, step, resp, leaf, issuingCA)
	}
}

// issue requests a PEM certificate and checks what every client reads from it.
func (c *l2Client) issue(step string, body map[string]interface{}, issuingCA *x509.Certificate) l2Issued {
	c.t.Helper()
	resp := c.call(step, logical.UpdateOperation, "issue/web", body, true)
	if !c.want(step, resp, http.StatusOK) {
		c.t.Fatalf("%s: cannot continue without a certificate", c.label)
	}
	leaf := l2ParseCert(c, step, c.dataString(step, resp, "certificate"))
	if leaf == nil {
		c.t.Fatalf("%s: %s: no certificate", c.label, step)
	}
	l2CheckIssued(c, step, resp, leaf, issuingCA)
	if block, _ := pem.Decode([]byte(c.dataString(step, resp, "private_key"))); block == nil || block.Type != "RSA PRIVATE KEY" {
		c.errorf("%s: private_key is not an RSA PRIVATE KEY block (role key_type defaults to rsa)", step)
	}
	if got := c.dataString(step, resp, "private_key_type"); got != "rsa" {
		c.errorf("%s: private_key_type = %q, want rsa", step, got)
	}
	if !slices.Contains(leaf.DNSNames, "api.example.com") || !slices.Contains(leaf.DNSNames, "www.example.com") {
		c.errorf("%s: DNS SANs = %v, want the CN and the alt name", step, leaf.DNSNames)
	}
	if len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "127.0.0.1" {
		c.errorf("%s: IP SANs = %v, want [127.0.0.1]", step, leaf.IPAddresses)
	}
	if resp.Lease != nil {
		c.errorf("%s: a lease on a role without generate_lease", step)
	}
	return l2Issued{serial: c.dataString(step, resp, "serial_number"), leaf: leaf}
}

// l2CheckIssued checks the fields terraform, cert-manager and Vault Agent read from an issue or
// sign answer: PEM certificate, issuing_ca, ca_chain as an array ending at a root, a colon-hex
// serial and a numeric expiration equal to NotAfter.
func l2CheckIssued(c *l2Client, step string, resp *compare.Observation, leaf, issuingCA *x509.Certificate) {
	c.t.Helper()
	if got := l2ParseCert(c, step, c.dataString(step, resp, "issuing_ca")); got != nil && !got.Equal(issuingCA) {
		c.errorf("%s: issuing_ca is not the mount's CA (ca/pem)", step)
	}
	chain := c.dataStrings(step, resp, "ca_chain")
	if len(chain) == 0 {
		c.errorf("%s: ca_chain is empty", step)
		return
	}
	certs := make([]*x509.Certificate, 0, len(chain))
	for _, p := range chain {
		if cert := l2ParseCert(c, step, p); cert != nil {
			certs = append(certs, cert)
		}
	}
	if len(certs) != len(chain) {
		return
	}
	if !certs[0].Equal(issuingCA) {
		c.errorf("%s: ca_chain[0] is not the issuing CA", step)
	}
	top := certs[len(certs)-1]
	if top.CheckSignatureFrom(top) != nil {
		c.errorf("%s: ca_chain does not end with a self-signed root (cert-manager takes ca.crt from it)", step)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(top)
	for _, cert := range certs[:len(certs)-1] {
		inter.AddCert(cert)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		c.errorf("%s: certificate does not verify with its ca_chain: %v", step, err)
	}
	if serial := c.dataString(step, resp, "serial_number"); serial != colonHex(leaf.SerialNumber.Bytes()) {
		c.errorf("%s: serial_number = %q, want %q", step, serial, colonHex(leaf.SerialNumber.Bytes()))
	}
	if exp := c.dataInt(step, resp, "expiration"); exp != leaf.NotAfter.Unix() {
		c.errorf("%s: expiration = %d, want NotAfter %d", step, exp, leaf.NotAfter.Unix())
	}
}

func (c *l2Client) issueDER(issuingCA *x509.Certificate) {
	c.t.Helper()
	const step = "issue der"
	resp := c.call(step, logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "der.example.com", "format": "der"}, true)
	if !c.want(step, resp, http.StatusOK) {
		return
	}
	for _, key := range []string{"certificate", "issuing_ca"} {
		der, err := base64.StdEncoding.DecodeString(c.dataString(step, resp, key))
		if err != nil {
			c.errorf("%s: %s is not base64: %v", step, key, err)
			continue
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			c.errorf("%s: %s is not a DER certificate: %v", step, key, err)
			continue
		}
		if key == "issuing_ca" && !cert.Equal(issuingCA) {
			c.errorf("%s: issuing_ca is not the mount's CA", step)
		}
		if key == "certificate" && cert.Subject.CommonName != "der.example.com" {
			c.errorf("%s: CN = %q", step, cert.Subject.CommonName)
		}
	}
	for i, s := range c.dataStrings(step, resp, "ca_chain") {
		if der, err := base64.StdEncoding.DecodeString(s); err != nil {
			c.errorf("%s: ca_chain[%d] is not base64", step, i)
		} else if _, err := x509.ParseCertificate(der); err != nil {
			c.errorf("%s: ca_chain[%d] is not a DER certificate", step, i)
		}
	}
	if der, err := base64.StdEncoding.DecodeString(c.dataString(step, resp, "private_key")); err != nil {
		c.errorf("%s: private_key is not base64", step)
	} else if _, err := x509.ParsePKCS1PrivateKey(der); err != nil {
		c.errorf("%s: private_key is not a DER PKCS#1 RSA key: %v", step, err)
	}
}

func (c *l2Client) issueBundle(issuingCA *x509.Certificate) {
	c.t.Helper()
	const step = "issue pem_bundle"
	resp := c.call(step, logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "bundle.example.com", "format": "pem_bundle"}, true)
	if !c.want(step, resp, http.StatusOK) {
		return
	}
	types := compare.PEMTypes([]byte(c.dataString(step, resp, "certificate")))
	if len(types) < 3 || types[0] != "RSA PRIVATE KEY" || types[1] != "CERTIFICATE" {
		c.errorf("%s: certificate holds %v, want the key, the leaf, then the chain", step, types)
	}
}

// sign submits a CSR made outside Vault (RSA, as the role's default key_type requires).
func (c *l2Client) sign(issuingCA *x509.Certificate) l2Issued {
	c.t.Helper()
	const step = "sign"
	key := testcerts.RSAKey(c.t, 2048)
	_, csr := testcerts.CSR(c.t, key, testcerts.Names("signed.example.com", "signed.example.com", "other.example.com"))
	resp := c.call(step, logical.UpdateOperation, "sign/web", map[string]interface{}{"csr": csr, "common_name": "signed.example.com"}, true)
	if !c.want(step, resp, http.StatusOK) {
		c.t.Fatalf("%s: cannot continue without a signed certificate", c.label)
	}
	leaf := l2ParseCert(c, step, c.dataString(step, resp, "certificate"))
	if leaf == nil {
		c.t.Fatalf("%s: sign: no certificate", c.label)
	}
	l2CheckIssued(c, step, resp, leaf, issuingCA)
	if pub, ok := leaf.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		c.errorf("%s: the certificate does not carry the CSR's public key", step)
	}
	if resp.Data["private_key"] != nil {
		c.errorf("%s: answered a private_key", step)
	}
	return l2Issued{serial: c.dataString(step, resp, "serial_number"), leaf: leaf}
}

func (c *l2Client) fetchCAs(issuingCA *x509.Certificate) {
	c.t.Helper()
	resp := c.call("ca", logical.ReadOperation, "ca", nil, false)
	if c.want("ca", resp, http.StatusOK) {
		l2WantContentType(c, "ca", resp, "application/pkix-cert")
		if !bytes.Equal(resp.Body, issuingCA.Raw) {
			c.errorf("ca: body is not the issuing CA's DER")
		}
	}
	resp = c.call("ca_chain", logical.ReadOperation, "ca_chain", nil, false)
	if c.want("ca_chain", resp, http.StatusOK) {
		l2WantContentType(c, "ca_chain", resp, "application/pkix-cert")
		if certs := l2ParseCerts(c, "ca_chain", resp.Body); len(certs) < 2 || !certs[0].Equal(issuingCA) {
			c.errorf("ca_chain: want the issuing CA first, then its issuers; got %d certificates", len(certs))
		}
	}
	resp = c.call("cert/ca", logical.ReadOperation, "cert/ca", nil, false)
	if c.want("cert/ca", resp, http.StatusOK) {
		if got := l2ParseCert(c, "cert/ca", c.dataString("cert/ca", resp, "certificate")); got != nil && !got.Equal(issuingCA) {
			c.errorf("cert/ca: not the issuing CA")
		}
	}
	for _, raw := range []struct{ step, path, contentType string }{
		{"cert/ca raw", "cert/ca/raw", "application/pkix-cert"},
		{"cert/ca raw pem", "cert/ca/raw/pem", "application/pem-certificate-chain"},
		{"issuer default der", "issuer/default/der", "application/pkix-cert"},
		{"issuer default pem", "issuer/default/pem", "application/pem-certificate-chain"},
	} {
		resp = c.call(raw.step, logical.ReadOperation, raw.path, nil, false)
		if !c.want(raw.step, resp, http.StatusOK) {
			continue
		}
		l2WantContentType(c, raw.step, resp, raw.contentType)
		body := resp.Body
		if block, _ := pem.Decode(body); block != nil {
			body = block.Bytes
		}
		if !bytes.Equal(body, issuingCA.Raw) {
			c.errorf("%s: body is not the issuing CA", raw.step)
		}
	}
	// issuer/:ref/json is unauthenticated; issuer/:ref (what `vault pki` reads) needs a token.
	for _, ref := range []struct {
		step, path string
		auth       bool
	}{{"issuer default json", "issuer/default/json", false}, {"issuer default read", "issuer/default", true}} {
		resp = c.call(ref.step, logical.ReadOperation, ref.path, nil, ref.auth)
		if !c.want(ref.step, resp, http.StatusOK) {
			continue
		}
		if got := l2ParseCert(c, ref.step, c.dataString(ref.step, resp, "certificate")); got != nil && !got.Equal(issuingCA) {
			c.errorf("%s: certificate is not the issuing CA", ref.step)
		}
		if chain := c.dataStrings(ref.step, resp, "ca_chain"); len(chain) < 2 {
			c.errorf("%s: ca_chain has %d entries, want the issuing CA and its root", ref.step, len(chain))
		}
	}
	resp = c.call("cert/ca_chain", logical.ReadOperation, "cert/ca_chain", nil, false)
	if c.want("cert/ca_chain", resp, http.StatusOK) {
		chain := c.dataString("cert/ca_chain", resp, "ca_chain")
		if certs := l2ParseCerts(c, "cert/ca_chain", []byte(chain)); len(certs) < 2 || !certs[0].Equal(issuingCA) {
			c.errorf("cert/ca_chain: ca_chain must be one PEM string, issuing CA first, then its issuers")
		}
		if c.dataString("cert/ca_chain", resp, "certificate") != chain {
			c.errorf("cert/ca_chain: certificate differs from ca_chain")
		}
	}
}

// fetchCRLs reads the CRL in its three forms and returns the parsed DER one.
func (c *l2Client) fetchCRLs(issuingCA *x509.Certificate) *x509.RevocationList {
	c.t.Helper()
	var crl *x509.RevocationList
	resp := c.call("crl", logical.ReadOperation, "crl", nil, false)
	if c.want("crl", resp, http.StatusOK) {
		l2WantContentType(c, "crl", resp, "application/pkix-crl")
		parsed, err := x509.ParseRevocationList(resp.Body)
		if err != nil {
			c.errorf("crl: not a DER CRL: %v", err)
		} else if err := parsed.CheckSignatureFrom(issuingCA); err != nil {
			c.errorf("crl: not signed by the issuing CA: %v", err)
		} else {
			crl = parsed
		}
	}
	resp = c.call("crl/pem", logical.ReadOperation, "crl/pem", nil, false)
	if c.want("crl/pem", resp, http.StatusOK) {
		l2WantContentType(c, "crl/pem", resp, "application/x-pem-file")
		if types := compare.PEMTypes(resp.Body); !slices.Equal(types, []string{"X509 CRL"}) {
			c.errorf("crl/pem: PEM blocks %v, want one X509 CRL", types)
		}
	}
	resp = c.call("cert/crl", logical.ReadOperation, "cert/crl", nil, false)
	if c.want("cert/crl", resp, http.StatusOK) {
		if types := compare.PEMTypes([]byte(c.dataString("cert/crl", resp, "certificate"))); !slices.Equal(types, []string{"X509 CRL"}) {
			c.errorf("cert/crl: certificate holds %v, want one X509 CRL", types)
		}
	}
	return crl
}

// revoke revokes the leaf by serial, twice, then checks the record, the revoked list and the CRL.
func (c *l2Client) revoke(leaf l2Issued, issuingCA *x509.Certificate) {
	c.t.Helper()
	resp := c.call("revoke", logical.UpdateOperation, "revoke", map[string]interface{}{"serial_number": leaf.serial}, true)
	if !c.want("revoke", resp, http.StatusOK) {
		return
	}
	revokedAt := c.dataInt("revoke", resp, "revocation_time")
	if revokedAt == 0 {
		c.errorf("revoke: revocation_time is 0")
	}
	if state := c.dataString("revoke", resp, "state"); state != "revoked" {
		c.errorf("revoke: state = %q, want revoked", state)
	}
	if _, err := time.Parse(time.RFC3339Nano, c.dataString("revoke", resp, "revocation_time_rfc3339")); err != nil {
		c.errorf("revoke: revocation_time_rfc3339 is not RFC 3339: %v", err)
	}
	resp = c.call("revoke again", logical.UpdateOperation, "revoke", map[string]interface{}{"serial_number": leaf.serial}, true)
	if c.want("revoke again", resp, http.StatusOK) && c.dataInt("revoke again", resp, "revocation_time") != revokedAt {
		c.errorf("revoke again: revocation_time changed; native answers the original revocation")
	}
	resp = c.call("cert read after revoke", logical.ReadOperation, "cert/"+leaf.serial, nil, false)
	if c.want("cert read after revoke", resp, http.StatusOK) && c.dataInt("cert read after revoke", resp, "revocation_time") != revokedAt {
		c.errorf("cert read after revoke: revocation_time is not the revocation's")
	}
	resp = c.call("revoked list", logical.ListOperation, "certs/revoked", nil, true)
	if c.want("revoked list", resp, http.StatusOK) && !slices.Contains(c.dataStrings("revoked list", resp, "keys"), leaf.serial) {
		c.errorf("revoked list: lacks %s", leaf.serial)
	}
	resp = c.call("crl after revoke", logical.ReadOperation, "crl", nil, false)
	if c.want("crl after revoke", resp, http.StatusOK) {
		crl, err := x509.ParseRevocationList(resp.Body)
		switch {
		case err != nil:
			c.errorf("crl after revoke: not a DER CRL: %v", err)
		case crl.CheckSignatureFrom(issuingCA) != nil:
			c.errorf("crl after revoke: not signed by the issuing CA")
		case !l2CRLHas(crl, leaf.leaf.SerialNumber):
			c.errorf("crl after revoke: does not list %s (native rebuilds the CRL on revoke)", leaf.serial)
		}
	}
}

// revokeOtherWays revokes by certificate (PEM) and with the private key, as native allows.
func (c *l2Client) revokeOtherWays(signed l2Issued, withKey l2IssuedWithKey) {
	c.t.Helper()
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signed.leaf.Raw}))
	resp := c.call("revoke by certificate", logical.UpdateOperation, "revoke", map[string]interface{}{"certificate": certPEM}, true)
	if c.want("revoke by certificate", resp, http.StatusOK) && c.dataString("revoke by certificate", resp, "state") != "revoked" {
		c.errorf("revoke by certificate: state is not revoked")
	}
	if withKey.serial == "" {
		return
	}
	resp = c.call("revoke-with-key", logical.UpdateOperation, "revoke-with-key", map[string]interface{}{
		"serial_number": withKey.serial, "private_key": withKey.key,
	}, true)
	if c.want("revoke-with-key", resp, http.StatusOK) && c.dataString("revoke-with-key", resp, "state") != "revoked" {
		c.errorf("revoke-with-key: state is not revoked")
	}
	resp = c.call("revoked list after all", logical.ListOperation, "certs/revoked", nil, true)
	if c.want("revoked list after all", resp, http.StatusOK) {
		keys := c.dataStrings("revoked list after all", resp, "keys")
		for _, s := range []string{signed.serial, withKey.serial} {
			if !slices.Contains(keys, s) {
				c.errorf("revoked list after all: lacks %s", s)
			}
		}
	}
}

func l2CRLHas(crl *x509.RevocationList, serial *big.Int) bool {
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(serial) == 0 {
			return true
		}
	}
	return false
}

func l2WantContentType(c *l2Client, step string, resp *compare.Observation, want string) {
	c.t.Helper()
	if resp.ContentType != want {
		c.errorf("%s: content type %q, want %q", step, resp.ContentType, want)
	}
}

func l2ParseCert(c *l2Client, step, s string) *x509.Certificate {
	c.t.Helper()
	certs := l2ParseCerts(c, step, []byte(s))
	if len(certs) != 1 {
		c.errorf("%s: want one PEM certificate, got %d in %q", step, len(certs), truncate(s, 100))
		return nil
	}
	return certs[0]
}

func l2ParseCerts(c *l2Client, step string, raw []byte) []*x509.Certificate {
	c.t.Helper()
	var certs []*x509.Certificate
	for {
		block, rest := pem.Decode(raw)
		if block == nil {
			return certs
		}
		raw = rest
		if block.Type != "CERTIFICATE" {
			c.errorf("%s: unexpected PEM block %s", step, block.Type)
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			c.errorf("%s: %v", step, err)
			continue
		}
		certs = append(certs, cert)
	}
}

// TestRealHTTPNativeVersusPlugin is level 2: native PKI at pki/ and the plugin at keyfactor-pki/
// on one real Vault, the same client script over HTTP against both, answers compared; then the
// swap: native disabled, the plugin mounted at pki/, the same script unchanged.
func TestRealHTTPNativeVersusPlugin(t *testing.T) {
	table, err := compare.LoadTable(differencesFile)
	if err != nil {
		t.Fatal(err)
	}
	env := startRealVault(t)

	native, err := env.EnableNativePKI("pki", "pki_root")
	if err != nil {
		t.Fatal(err)
	}
	if err := env.EnablePlugin("keyfactor-pki"); err != nil {
		t.Fatal(err)
	}
	if err := env.ConfigureBasic("keyfactor-pki"); err != nil {
		t.Fatal(err)
	}

	// Native's hierarchy has the simulator's shape (root -> issuing CA), so chain lengths and
	// raw chain bodies are comparable.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	status, _, body, err := env.Do(ctx, http.MethodGet, "pki/ca/pem", nil, false)
	if err != nil || status != http.StatusOK || strings.TrimSpace(string(body)) != native.IntermediatePEM {
		t.Fatalf("native pki/ca/pem is not the intermediate it was given: status %d, err %v", status, err)
	}

	nativeAnswers := runClientScript(t, env, "pki", "native pki/")
	pluginAnswers := runClientScript(t, env, "keyfactor-pki", "plugin keyfactor-pki/")
	sideBySide := &compare.Comparison{Scenario: l2ScenarioSideBySide, Table: table, Describe: compare.DescribeShape}
	sideBySide.CheckTranscripts(t, nativeAnswers, pluginAnswers)
	t.Logf("side by side: %d requests, %d fields compared, %d allowed differences", sideBySide.Steps, sideBySide.Compared, sideBySide.Allowed)
	checkListAnswers(t, env, "pki", "keyfactor-pki")

	// The swap, as an operator does it: the clients keep calling pki/.
	if err := env.DisableMount("pki"); err != nil {
		t.Fatal(err)
	}
	if err := env.EnablePlugin("pki"); err != nil {
		t.Fatal(err)
	}
	if err := env.ConfigureBasic("pki"); err != nil {
		t.Fatal(err)
	}
	if typ, err := env.MountType("pki"); err != nil || typ != realvault.PluginName {
		t.Fatalf("after the swap pki/ is %q (%v), want the plugin", typ, err)
	}
	swapped := runClientScript(t, env, "pki", "swapped pki/")
	swap := &compare.Comparison{Scenario: l2ScenarioSwap, Table: table, Describe: compare.DescribeShape}
	swap.CheckTranscripts(t, nativeAnswers, swapped)
	t.Logf("after the swap: %d requests, %d fields compared, %d allowed differences", swap.Steps, swap.Compared, swap.Allowed)
}
