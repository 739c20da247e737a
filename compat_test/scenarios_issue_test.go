package compattest

import (
	"fmt"

	"github.com/hashicorp/vault/sdk/logical"
)

func issueStep(name, role string, data map[string]interface{}) step {
	return step{name: name, op: logical.UpdateOperation, path: "issue/" + role, data: data, save: saveIssued()}
}

func issueScenarios() []scenario {
	formats := scenario{name: "issue: every format and private_key_format", steps: []step{writeRole("web", webRole)}}
	for _, format := range []string{"pem", "der", "pem_bundle"} {
		for _, keyFormat := range []string{"der", "pkcs8"} {
			formats.steps = append(formats.steps, issueStep(fmt.Sprintf("format=%s private_key_format=%s", format, keyFormat), "web",
				map[string]interface{}{"common_name": "fmt.example.com", "format": format, "private_key_format": keyFormat}))
		}
	}
	formats.steps = append(formats.steps,
		issueStep("no format given", "web", map[string]interface{}{"common_name": "fmt.example.com"}))

	return []scenario{
		formats,
		{name: "issue: key types", steps: []step{
			writeRole("ec", ecRole),
			issueStep("ec p256", "ec", map[string]interface{}{"common_name": "ec.example.com"}),
			issueStep("ec pkcs8", "ec", map[string]interface{}{"common_name": "ec.example.com", "private_key_format": "pkcs8"}),
			writeRole("ed", ed25519Role),
			issueStep("ed25519", "ed", map[string]interface{}{"common_name": "ed.example.com"}),
		}},
		{name: "issue: SANs", steps: []step{
			writeRole("web", webRole),
			issueStep("alt names", "web", map[string]interface{}{"common_name": "san.example.com", "alt_names": "b.example.com,a.example.com,a.example.com"}),
			issueStep("IP SANs", "web", map[string]interface{}{"common_name": "ip.example.com", "ip_sans": "10.0.0.1,::1"}),
			issueStep("URI SAN", "web", map[string]interface{}{"common_name": "uri.example.com", "uri_sans": "spiffe://example.com/svc"}),
			issueStep("wildcard and localhost", "web", map[string]interface{}{"common_name": "*.example.com", "alt_names": "localhost"}),
			issueStep("exclude_cn_from_sans", "web", map[string]interface{}{"common_name": "cn.example.com", "alt_names": "other.example.com", "exclude_cn_from_sans": true}),
			issueStep("alt name outside the role", "web", map[string]interface{}{"common_name": "ok.example.com", "alt_names": "x.other.com"}).answers(400),
			issueStep("bare domain outside the role", "web", map[string]interface{}{"common_name": "example.com"}).answers(400),
			issueStep("CN outside the role", "web", map[string]interface{}{"common_name": "foo.example.com.evil.com"}).answers(400),
			issueStep("URI SAN outside the role", "web", map[string]interface{}{"common_name": "uri.example.com", "uri_sans": "spiffe://other.com/svc"}).answers(400),
			issueStep("unparsable IP SAN", "web", map[string]interface{}{"common_name": "ip.example.com", "ip_sans": "notip"}).answers(400),
			issueStep("missing common_name", "web", map[string]interface{}{}).answers(400),
		}},
		{name: "issue: request fields native refuses by default", steps: []step{
			writeRole("web", webRole),
			issueStep("other SAN not allowed", "web", map[string]interface{}{"common_name": "o.example.com", "other_sans": "1.2.3.4;UTF8:x"}).answers(400),
			issueStep("user id not allowed", "web", map[string]interface{}{"common_name": "u.example.com", "user_ids": "bob"}).answers(400),
			issueStep("subject serial number not allowed", "web", map[string]interface{}{"common_name": "s.example.com", "serial_number": "abc"}).answers(400),
			issueStep("email CN outside the role", "web", map[string]interface{}{"common_name": "user@example.com"}).answers(400),
			issueStep("ttl and not_after both", "web", map[string]interface{}{"common_name": "t.example.com", "ttl": "1h", "not_after": "2030-01-01T00:00:00Z"}).answers(400),
			issueStep("not_after", "web", map[string]interface{}{"common_name": "t.example.com", "not_after": "2027-01-01T00:00:00Z"}),
			issueStep("unparsable not_after", "web", map[string]interface{}{"common_name": "t.example.com", "not_after": "tomorrow"}).answers(400),
		}},
		{name: "issue: chain and ttl", steps: []step{
			writeRole("web", webRole),
			issueStep("remove_roots_from_chain", "web", map[string]interface{}{"common_name": "chain.example.com", "remove_roots_from_chain": true}),
			issueStep("remove_roots_from_chain with format der", "web", map[string]interface{}{"common_name": "chain.example.com", "remove_roots_from_chain": true, "format": "der"}),
			issueStep("ttl 1h", "web", map[string]interface{}{"common_name": "ttl.example.com", "ttl": "1h"}),
			issueStep("ttl in seconds as a string", "web", map[string]interface{}{"common_name": "ttl.example.com", "ttl": "7200"}),
			issueStep("negative ttl", "web", map[string]interface{}{"common_name": "ttl.example.com", "ttl": "-5"}).answers(400),
			issueStep("unknown parameter", "web", map[string]interface{}{"common_name": "p.example.com", "bogus_field": "x"}),
		}},
	}
}
