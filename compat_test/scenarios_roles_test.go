package compattest

import "github.com/hashicorp/vault/sdk/logical"

// Role definitions shared by the scenarios. Only fields both engines enforce shape the verdicts;
// everything else stays at the native default.
var (
	webRole = map[string]interface{}{
		"allowed_domains":  "example.com",
		"allow_subdomains": true,
		"allowed_uri_sans": "spiffe://example.com/*",
	}
	anyKeyRole = map[string]interface{}{
		"allowed_domains":  "example.com",
		"allow_subdomains": true,
		"key_type":         "any",
	}
	ecRole = map[string]interface{}{
		"allowed_domains":  "example.com",
		"allow_subdomains": true,
		"key_type":         "ec",
		"key_bits":         256,
	}
	ed25519Role = map[string]interface{}{
		"allowed_domains":  "example.com",
		"allow_subdomains": true,
		"key_type":         "ed25519",
	}
	// strictRole sets every policy field the plugin enforces away from its native default.
	strictRole = map[string]interface{}{
		"allowed_domains":             "example.com,example.org",
		"allow_subdomains":            true,
		"allow_bare_domains":          true,
		"allow_localhost":             false,
		"allow_wildcard_certificates": false,
		"allow_ip_sans":               false,
		"enforce_hostnames":           true,
		"allow_any_name":              false,
		"ttl":                         "1h",
		"max_ttl":                     "72h",
		"key_type":                    "ec",
		"key_bits":                    384,
	}
)

// writeRole is the step that creates a role (its answer is compared too: native returns the
// whole role on write).
func writeRole(name string, data map[string]interface{}) step {
	return step{name: "write role " + name, op: logical.UpdateOperation, path: "roles/" + name, data: data}
}

func roleScenarios() []scenario {
	return []scenario{
		{name: "roles: native defaults", steps: []step{
			writeRole("web", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true}),
			{name: "read role", op: logical.ReadOperation, path: "roles/web"},
			{name: "list roles", op: logical.ListOperation, path: "roles/"},
		}},
		{name: "roles: every enforced policy field", steps: []step{
			writeRole("strict", strictRole),
			{name: "read role", op: logical.ReadOperation, path: "roles/strict"},
			{name: "bare domain allowed", op: logical.UpdateOperation, path: "issue/strict", data: map[string]interface{}{"common_name": "example.org"}},
			{name: "localhost refused", want: 400, op: logical.UpdateOperation, path: "issue/strict", data: map[string]interface{}{"common_name": "localhost"}},
			{name: "wildcard refused", want: 400, op: logical.UpdateOperation, path: "issue/strict", data: map[string]interface{}{"common_name": "*.example.com"}},
			{name: "IP SAN refused", want: 400, op: logical.UpdateOperation, path: "issue/strict", data: map[string]interface{}{"common_name": "a.example.com", "ip_sans": "10.0.0.1"}},
			{name: "ttl above max_ttl capped", op: logical.UpdateOperation, path: "issue/strict", data: map[string]interface{}{"common_name": "a.example.com", "ttl": "100h"}},
		}},
		{name: "roles: no_store", steps: []step{
			writeRole("nostore", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "no_store": true}),
			issueStep("issue without storing", "nostore", map[string]interface{}{"common_name": "ns.example.com"}),
			readStep("read unstored certificate", "cert/{serial}").answers(404),
			{name: "list certs", op: logical.ListOperation, path: "certs/", want: 404},
			revokeStep("revoke unstored certificate by serial", "revoke", map[string]interface{}{"serial_number": "{serial}"}).answers(400),
		}},
		{name: "roles: generate_lease", steps: []step{
			writeRole("leased", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "generate_lease": true}),
			issueStep("issue with a lease", "leased", map[string]interface{}{"common_name": "lease.example.com"}),
			readStep("read leased certificate", "cert/{serial}"),
		}},
		{name: "roles: update, delete and errors", steps: []step{
			writeRole("web", webRole),
			{name: "ttl above max_ttl", want: 400, op: logical.UpdateOperation, path: "roles/bad", data: map[string]interface{}{"ttl": "10h", "max_ttl": "1h"}},
			{name: "rsa key too small", want: 400, op: logical.UpdateOperation, path: "roles/bad", data: map[string]interface{}{"key_bits": 1024}},
			{name: "read unknown role", want: 404, op: logical.ReadOperation, path: "roles/nope"},
			{name: "delete role", want: 204, op: logical.DeleteOperation, path: "roles/web"},
			{name: "read deleted role", want: 404, op: logical.ReadOperation, path: "roles/web"},
			{name: "list no roles", want: 404, op: logical.ListOperation, path: "roles/"},
		}},
		// Vault's storage refuses keys holding ".."; native answers that refusal with 400
		// "relative paths not supported" on every path that takes a role name.
		{name: "roles: names with ..", steps: []step{
			writeRole("web", webRole),
			{name: "write role a..b", want: 400, op: logical.UpdateOperation, path: "roles/a..b", data: webRole},
			{name: "read role a..b", want: 400, op: logical.ReadOperation, path: "roles/a..b"},
			{name: "patch role a..b", want: 400, op: logical.PatchOperation, path: "roles/a..b", data: map[string]interface{}{"ttl": "1h"}},
			{name: "delete role a..b", want: 400, op: logical.DeleteOperation, path: "roles/a..b"},
			{name: "issue a..b", want: 400, op: logical.UpdateOperation, path: "issue/a..b", data: map[string]interface{}{"common_name": "a.example.com"}},
			{name: "sign a..b", want: 400, op: logical.UpdateOperation, path: "sign/a..b", data: map[string]interface{}{"common_name": "a.example.com"}},
			{name: "issuer-scoped issue a..b", want: 400, op: logical.UpdateOperation, path: "issuer/default/issue/a..b", data: map[string]interface{}{"common_name": "a.example.com"}},
			{name: "sign-verbatim a..b", want: 400, op: logical.UpdateOperation, path: "sign-verbatim/a..b", data: map[string]interface{}{"common_name": "a.example.com"}},
			{name: "role web still there", op: logical.ReadOperation, path: "roles/web"},
		}},
	}
}
