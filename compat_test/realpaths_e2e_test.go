package compattest

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"time"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// l2CSR is a PEM CSR (RSA 2048, what the script's role requires) for cn and dnsNames.
func (c *l2Client) l2CSR(cn string, dnsNames ...string) string {
	c.t.Helper()
	_, text := testcerts.CSR(c.t, testcerts.RSAKey(c.t, 2048), testcerts.Names(cn, dnsNames...))
	return text
}

// issuerScopedAndVerbatim covers the issuance paths clients reach besides issue/ and sign/:
// sign-verbatim with and without a role, and the issuer-scoped forms cert-manager and terraform
// use with an issuer_ref (`issuer/default/...`).
func (c *l2Client) issuerScopedAndVerbatim(issuingCA *x509.Certificate) {
	c.t.Helper()
	steps := []struct {
		step, path string
		body       map[string]interface{}
	}{
		{"sign-verbatim", "sign-verbatim", map[string]interface{}{"csr": c.l2CSR("verbatim.example.com", "verbatim.example.com")}},
		{"sign-verbatim role", "sign-verbatim/web", map[string]interface{}{"csr": c.l2CSR("verbatim-role.example.com", "verbatim-role.example.com")}},
		{"issuer issue", "issuer/default/issue/web", map[string]interface{}{"common_name": "scoped.example.com"}},
		{"issuer sign", "issuer/default/sign/web", map[string]interface{}{"csr": c.l2CSR("scoped-sign.example.com", "scoped-sign.example.com"), "common_name": "scoped-sign.example.com"}},
		{"issuer sign-verbatim", "issuer/default/sign-verbatim/web", map[string]interface{}{"csr": c.l2CSR("scoped-verbatim.example.com", "scoped-verbatim.example.com")}},
	}
	for _, s := range steps {
		resp := c.call(s.step, logical.UpdateOperation, s.path, s.body, true)
		if !c.want(s.step, resp, http.StatusOK) {
			continue
		}
		if leaf := l2ParseCert(c, s.step, c.dataString(s.step, resp, "certificate")); leaf != nil {
			l2CheckIssued(c, s.step, resp, leaf, issuingCA)
		}
	}
}

// roleLifecycle writes, deletes and re-reads a role as terraform's role resource does on
// create and destroy: a deleted role reads as 404, and deleting answers 204.
func (c *l2Client) roleLifecycle() {
	c.t.Helper()
	resp := c.call("role write tmp", logical.UpdateOperation, "roles/tmp", map[string]interface{}{"allowed_domains": "tmp.example.com"}, true)
	c.want("role write tmp", resp, http.StatusOK)
	resp = c.call("role delete tmp", logical.DeleteOperation, "roles/tmp", nil, true)
	c.want("role delete tmp", resp, http.StatusNoContent)
	resp = c.call("role read deleted", logical.ReadOperation, "roles/tmp", nil, true)
	c.want("role read deleted", resp, http.StatusNotFound)
}

// issuerCRLs fetches the default issuer's CRL in its three issuer-scoped forms, without a token.
func (c *l2Client) issuerCRLs() {
	c.t.Helper()
	resp := c.call("issuer crl json", logical.ReadOperation, "issuer/default/crl", nil, false)
	if c.want("issuer crl json", resp, http.StatusOK) {
		if block, _ := pem.Decode([]byte(c.dataString("issuer crl json", resp, "crl"))); block == nil || block.Type != "X509 CRL" {
			c.errorf("issuer crl json: data.crl is not a PEM X509 CRL")
		}
	}
	resp = c.call("issuer crl pem", logical.ReadOperation, "issuer/default/crl/pem", nil, false)
	if c.want("issuer crl pem", resp, http.StatusOK) {
		l2WantContentType(c, "issuer crl pem", resp, "application/x-pem-file")
	}
	resp = c.call("issuer crl der", logical.ReadOperation, "issuer/default/crl/der", nil, false)
	if c.want("issuer crl der", resp, http.StatusOK) {
		l2WantContentType(c, "issuer crl der", resp, "application/pkix-crl")
		if _, err := x509.ParseRevocationList(resp.Body); err != nil {
			c.errorf("issuer crl der: not a DER CRL: %v", err)
		}
	}
}

// maintenance is what operators' scripts and terraform do besides issuing: set the CA URLs
// (terraform's config_urls resource) and tidy expired records from cron, then read the status.
func (c *l2Client) maintenance() {
	c.t.Helper()
	urls := map[string]interface{}{
		"issuing_certificates":    "http://pki.example.com/ca",
		"crl_distribution_points": "http://pki.example.com/crl",
	}
	resp := c.call("config urls write", logical.UpdateOperation, "config/urls", urls, true)
	c.want("config urls write", resp, http.StatusOK)
	resp = c.call("config urls read", logical.ReadOperation, "config/urls", nil, true)
	if c.want("config urls read", resp, http.StatusOK) {
		if got := c.dataStrings("config urls read", resp, "crl_distribution_points"); len(got) != 1 || got[0] != "http://pki.example.com/crl" {
			c.errorf("config urls read: crl_distribution_points = %v", got)
		}
	}
	resp = c.call("tidy", logical.UpdateOperation, "tidy", map[string]interface{}{"tidy_cert_store": true, "safety_buffer": "72h"}, true)
	c.want("tidy", resp, http.StatusAccepted)
	// Poll without recording (the engines may take different numbers of polls), then compare
	// the final status.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		a := c.rec.Target.Send(c.t, compare.Request{Step: "tidy-status poll", Op: logical.ReadOperation, Path: "tidy-status"})
		if !a.Envelope || a.Data["state"] != "Running" || time.Now().After(deadline) {
			break
		}
	}
	resp = c.call("tidy-status", logical.ReadOperation, "tidy-status", nil, true)
	if c.want("tidy-status", resp, http.StatusOK) {
		if state := c.dataString("tidy-status", resp, "state"); state != "Finished" {
			c.errorf("tidy-status: state %q, want Finished", state)
		}
	}
}
