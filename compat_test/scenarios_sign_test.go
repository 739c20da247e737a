package compattest

import (
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

func signStep(name, role string, data map[string]interface{}) step {
	return step{name: name, op: logical.UpdateOperation, path: "sign/" + role, data: data, save: saveIssued()}
}

func signScenarios(t *testing.T) []scenario {
	ecKey := mustECKey(t)
	rsaKey := mustRSAKey(t)
	return []scenario{
		{name: "sign: CSR names allowed, partly allowed, not allowed", steps: []step{
			writeRole("any", anyKeyRole),
			signStep("all names allowed", "any", map[string]interface{}{"csr": csrPEM(t, ecKey, "csr.example.com", "a.example.com", "b.example.com")}),
			signStep("one name outside the role", "any", map[string]interface{}{"csr": csrPEM(t, ecKey, "csr.example.com", "a.example.com", "evil.com")}).answers(400),
			signStep("CN outside the role", "any", map[string]interface{}{"csr": csrPEM(t, ecKey, "evil.com")}).answers(400),
			signStep("request common_name ignored for CSR CN", "any", map[string]interface{}{"csr": csrPEM(t, ecKey, "csr.example.com"), "common_name": "other.example.com"}),
			signStep("exclude_cn_from_sans", "any", map[string]interface{}{"csr": csrPEM(t, ecKey, "csr.example.com", "a.example.com"), "exclude_cn_from_sans": true}),
			signStep("format der", "any", map[string]interface{}{"csr": csrPEM(t, ecKey, "csr.example.com"), "format": "der"}),
		}},
		{name: "sign: key type policy and bad CSRs", steps: []step{
			writeRole("web", webRole),
			signStep("RSA CSR on an RSA role", "web", map[string]interface{}{"csr": csrPEM(t, rsaKey, "rsa.example.com")}),
			signStep("EC CSR on an RSA role", "web", map[string]interface{}{"csr": csrPEM(t, ecKey, "ec.example.com")}).answers(400),
			signStep("unparsable CSR", "web", map[string]interface{}{"csr": "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----"}).answers(400),
			signStep("CSR that is not PEM", "web", map[string]interface{}{"csr": "not a csr"}).answers(400),
			signStep("empty CSR", "web", map[string]interface{}{"csr": ""}).answers(400),
		}},
	}
}
