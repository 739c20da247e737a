package compattest

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/helper/certutil"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
)

// clientScenarios replay what cert-manager's Vault issuer and terraform's
// vault_pki_secret_backend_cert send, and decode the answers the way those clients do.
func clientScenarios(t *testing.T) []scenario {
	// cert-manager sends every field as a string, empty SAN fields included.
	certManagerRequest := map[string]interface{}{
		"common_name":          "cm.example.com",
		"alt_names":            "cm.example.com,www.example.com",
		"ip_sans":              "",
		"uri_sans":             "",
		"ttl":                  (2160 * time.Hour).String(),
		"csr":                  csrPEM(t, mustRSAKey(t), "cm.example.com", "cm.example.com", "www.example.com"),
		"exclude_cn_from_sans": "true",
	}
	return []scenario{
		{name: "client: cert-manager sign", steps: []step{
			writeRole("web", webRole),
			{
				name:   "cert-manager sign request",
				op:     logical.UpdateOperation,
				path:   "sign/web",
				data:   certManagerRequest,
				client: certManagerDecodes,
			},
			{
				// spec.vault.path may name an issuer: pki/issuer/<ref>/sign/<role>.
				name:   "cert-manager sign request through an issuer",
				op:     logical.UpdateOperation,
				path:   "issuer/default/sign/web",
				data:   certManagerRequest,
				client: certManagerDecodes,
			},
		}},
		{name: "client: terraform issue, read, revoke on delete", steps: []step{
			writeRole("web", webRole),
			{
				name: "terraform create",
				op:   logical.UpdateOperation,
				path: "issue/web",
				data: map[string]interface{}{
					"common_name":             "tf.example.com",
					"ttl":                     "720h",
					"format":                  "pem",
					"private_key_format":      "der",
					"exclude_cn_from_sans":    false,
					"remove_roots_from_chain": false,
				},
				save:   saveIssued(),
				client: terraformReads,
			},
			{
				name:   "terraform delete (revoke)",
				op:     logical.UpdateOperation,
				path:   "revoke",
				data:   map[string]interface{}{"serial_number": "{serial}"},
				client: expectSuccess,
			},
			{
				name:   "read after terraform delete",
				op:     logical.ReadOperation,
				path:   "cert/{serial}",
				client: expectRevoked,
			},
		}},
	}
}

// certManagerDecodes decodes a sign answer as cert-manager does (certutil.ParsePKIMap into a
// CertBundle) and assembles tls.crt/ca.crt: the leaf, the returned CA certificates and the root
// must form one unbroken chain.
func certManagerDecodes(t *testing.T, engine string, obs *compare.Observation) {
	t.Helper()
	if err := certManagerProblem(obs); err != nil {
		t.Errorf("%s: cert-manager: %v", engine, err)
	}
}

func certManagerProblem(obs *compare.Observation) error {
	if obs.Status != 200 {
		return fmt.Errorf("sign answered %d: %s", obs.Status, obs.Error)
	}
	parsed, err := certutil.ParsePKIMap(obs.Data)
	if err != nil {
		return fmt.Errorf("certutil.ParsePKIMap cannot decode the answer: %w", err)
	}
	bundle, err := parsed.ToCertBundle()
	if err != nil {
		return fmt.Errorf("ToCertBundle: %w", err)
	}
	pems := append([]string{bundle.Certificate}, bundle.CAChain...)
	pems = append(pems, bundle.IssuingCA)
	chain, err := assembleChain(pems)
	if err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	if len(chain) < 2 {
		return fmt.Errorf("the chain has %d certificates; want leaf, issuer(s) and root", len(chain))
	}
	if cn := chain[0].Subject.CommonName; cn != "cm.example.com" {
		return fmt.Errorf("leaf CN = %q", cn)
	}
	return nil
}

// assembleChain parses every certificate in pems, removes duplicates and orders them from the
// leaf to a self-signed root, each certificate signed by the next. Every certificate must be
// used and the chain must end at a root (cert-manager's ca.crt).
func assembleChain(pems []string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	seen := map[string]bool{}
	for _, p := range pems {
		rest := []byte(p)
		for {
			block, next := pem.Decode(rest)
			if block == nil {
				break
			}
			rest = next
			if block.Type != "CERTIFICATE" || seen[string(block.Bytes)] {
				continue
			}
			seen[string(block.Bytes)] = true
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, err
			}
			certs = append(certs, c)
		}
	}
	var leaf *x509.Certificate
	for _, c := range certs {
		if !c.IsCA {
			if leaf != nil {
				return nil, fmt.Errorf("two leaf certificates in the answer")
			}
			leaf = c
		}
	}
	if leaf == nil {
		return nil, fmt.Errorf("no leaf certificate in the answer")
	}
	chain := []*x509.Certificate{leaf}
	for cur := leaf; !isSelfSigned(cur); {
		var parent *x509.Certificate
		for _, c := range certs {
			if c != cur && c.Subject.String() == cur.Issuer.String() && cur.CheckSignatureFrom(c) == nil {
				parent = c
				break
			}
		}
		if parent == nil {
			return nil, fmt.Errorf("chain broken after %q: its issuer %q is not in the answer", cur.Subject, cur.Issuer)
		}
		chain = append(chain, parent)
		cur = parent
	}
	if len(chain) != len(certs) {
		return nil, fmt.Errorf("%d certificates in the answer but the chain uses %d", len(certs), len(chain))
	}
	return chain, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.Subject.String() == c.Issuer.String() && c.CheckSignatureFrom(c) == nil
}

// terraformReads checks what terraform-provider-vault reads from an issue answer: ca_chain via a
// []interface{} type assertion (it panics otherwise), expiration as a number.
func terraformReads(t *testing.T, engine string, obs *compare.Observation) {
	t.Helper()
	for _, p := range terraformProblems(obs) {
		t.Errorf("%s: terraform: %s", engine, p)
	}
}

func terraformProblems(obs *compare.Observation) []string {
	if obs.Status != 200 {
		return []string{fmt.Sprintf("create answered %d: %s", obs.Status, obs.Error)}
	}
	var problems []string
	chain, ok := obs.Data["ca_chain"].([]interface{})
	if !ok {
		problems = append(problems, fmt.Sprintf("ca_chain is %T; terraform asserts []interface{}", obs.Data["ca_chain"]))
	}
	for i, item := range chain {
		if s, ok := item.(string); !ok || !strings.HasPrefix(s, "-----BEGIN CERTIFICATE-----") {
			problems = append(problems, fmt.Sprintf("ca_chain[%d] is not a PEM certificate string", i))
		}
	}
	if exp, ok := obs.Data["expiration"].(json.Number); !ok {
		problems = append(problems, fmt.Sprintf("expiration is %T; terraform's schema wants a number", obs.Data["expiration"]))
	} else if secs, err := exp.Int64(); err != nil || secs <= time.Now().Unix() {
		problems = append(problems, fmt.Sprintf("expiration %v is not a future unix time", exp))
	}
	for _, k := range []string{"certificate", "issuing_ca", "private_key", "private_key_type", "serial_number"} {
		if s, ok := obs.Data[k].(string); !ok || s == "" {
			problems = append(problems, fmt.Sprintf("%s is %T %v; terraform reads it as a non-empty string", k, obs.Data[k], obs.Data[k]))
		}
	}
	return problems
}

func expectSuccess(t *testing.T, engine string, obs *compare.Observation) {
	t.Helper()
	if obs.Status >= 300 {
		t.Errorf("%s: status %d: %s", engine, obs.Status, obs.Error)
	}
}

func expectRevoked(t *testing.T, engine string, obs *compare.Observation) {
	t.Helper()
	n, ok := obs.Data["revocation_time"].(json.Number)
	if !ok {
		t.Errorf("%s: revocation_time is %T, want a number", engine, obs.Data["revocation_time"])
		return
	}
	if v, err := n.Int64(); err != nil || v <= 0 {
		t.Errorf("%s: revocation_time = %v after revoke", engine, n)
	}
}
