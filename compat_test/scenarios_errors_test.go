package compattest

import "github.com/hashicorp/vault/sdk/logical"

func errorScenarios() []scenario {
	return []scenario{
		{name: "errors: unknown role and bad values", steps: []step{
			issueStep("issue on unknown role", "nope", map[string]interface{}{"common_name": "a.example.com"}).answers(400),
			signStep("sign on unknown role", "nope", map[string]interface{}{"csr": "x"}).answers(400),
			writeRole("web", webRole),
			issueStep("bad format value", "web", map[string]interface{}{"common_name": "a.example.com", "format": "xml"}).answers(400),
			issueStep("unknown private_key_format value", "web", map[string]interface{}{"common_name": "a.example.com", "private_key_format": "jks"}),
			{name: "unknown path", want: 404, op: logical.ReadOperation, path: "no/such/path"},
		}},
	}
}
