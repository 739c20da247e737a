package compattest

import (
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

// issuerScenarios cover the issuer-scoped and verbatim forms of issuance and the issuer reads
// that Vault's own CLI and terraform's issuer resources use.
func issuerScenarios(t *testing.T) []scenario {
	ecKey := mustECKey(t)
	return []scenario{
		{name: "issuers: scoped issuance and reads", steps: []step{
			writeRole("web", webRole),
			writeRole("any", anyKeyRole),
			issueStep("issue through issuer/default", "web", map[string]interface{}{"common_name": "scoped.example.com"}).at("issuer/default/issue/web"),
			signStep("sign through issuer/default", "any", map[string]interface{}{"csr": csrPEM(t, ecKey, "scoped.example.com")}).at("issuer/default/sign/any"),
			signStep("sign-verbatim with a role", "any", map[string]interface{}{"csr": csrPEM(t, ecKey, "verbatim.example.com", "other.test")}).at("sign-verbatim/any"),
			readStep("default issuer", "issuer/default"),
			readStep("default issuer as JSON", "issuer/default/json"),
			readStep("default issuer as PEM", "issuer/default/pem"),
			readStep("default issuer as DER", "issuer/default/der"),
			{name: "list issuers", op: logical.ListOperation, path: "issuers/"},
			readStep("unknown issuer", "issuer/nope/json").answers(500),
		}},
		{name: "roles: patch", steps: []step{
			writeRole("web", webRole),
			{name: "patch role", op: logical.PatchOperation, path: "roles/web", data: map[string]interface{}{"allow_bare_domains": true}},
			issueStep("bare domain after patch", "web", map[string]interface{}{"common_name": "example.com"}),
			{name: "patch unknown role", op: logical.PatchOperation, path: "roles/nope", data: map[string]interface{}{"allow_bare_domains": true}, want: 400},
		}},
	}
}

// at sends the step to another path (same name, data and saved variables).
func (s step) at(path string) step {
	s.path = path
	return s
}
