package compattest

import (
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

func revokeStep(name, path string, data map[string]interface{}) step {
	return step{name: name, op: logical.UpdateOperation, path: path, data: data}
}

func revokeScenarios(t *testing.T) []scenario {
	otherKey := pkcs8PEM(t, mustRSAKey(t))
	foreignCert := newTestCA(t).certPEM()
	return []scenario{
		{name: "revoke: by serial, again, then read", steps: []step{
			writeRole("web", webRole),
			issueStep("issue", "web", map[string]interface{}{"common_name": "revoke.example.com"}),
			revokeStep("revoke by serial", "revoke", map[string]interface{}{"serial_number": "{serial}"}),
			revokeStep("revoke again", "revoke", map[string]interface{}{"serial_number": "{serial}"}),
			revokeStep("revoke again, hyphen serial", "revoke", map[string]interface{}{"serial_number": "{serial_hyphen}"}),
			readStep("read after revoke", "cert/{serial}"),
			readStep("raw PEM after revoke", "cert/{serial}/raw/pem"),
			{name: "list revoked", op: logical.ListOperation, path: "certs/revoked/"},
			readStep("crl", "crl"),
			readStep("crl/pem", "crl/pem"),
			readStep("cert/crl", "cert/crl"),
		}},
		{name: "revoke: by certificate and with key", steps: []step{
			writeRole("web", webRole),
			issueStep("issue for certificate revocation", "web", map[string]interface{}{"common_name": "bycert.example.com"}),
			revokeStep("revoke by certificate", "revoke", map[string]interface{}{"certificate": "{cert}"}),
			readStep("read after revoke by certificate", "cert/{serial}"),
			issueStep("issue for revoke-with-key", "web", map[string]interface{}{"common_name": "withkey.example.com"}),
			revokeStep("revoke-with-key without key", "revoke-with-key", map[string]interface{}{"serial_number": "{serial}"}).answers(400),
			revokeStep("revoke-with-key", "revoke-with-key", map[string]interface{}{"serial_number": "{serial}", "private_key": "{key}"}),
			readStep("read after revoke-with-key", "cert/{serial}"),
			{name: "list revoked", op: logical.ListOperation, path: "certs/revoked/"},
		}},
		{name: "revoke: errors", steps: []step{
			revokeStep("unknown serial", "revoke", map[string]interface{}{"serial_number": "01:02:03:04:05:06:07:08"}).answers(400),
			revokeStep("no serial and no certificate", "revoke", map[string]interface{}{}).answers(400),
			writeRole("web", webRole),
			issueStep("issue", "web", map[string]interface{}{"common_name": "both.example.com"}),
			revokeStep("serial and certificate both", "revoke", map[string]interface{}{"serial_number": "{serial}", "certificate": "{cert}"}).answers(400),
			revokeStep("revoke-with-key with the wrong key", "revoke-with-key", map[string]interface{}{"serial_number": "{serial}", "private_key": otherKey}).answers(500),
			revokeStep("revoke a certificate of another CA", "revoke", map[string]interface{}{"certificate": foreignCert}).answers(500),
			readStep("issuing CA certificate", "cert/ca"),
		}},
	}
}
