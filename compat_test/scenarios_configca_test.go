package compattest

import "github.com/hashicorp/vault/sdk/logical"

// config/urls and config/crl: what Terraform's vault_pki_secret_backend_config_urls and
// vault_pki_secret_backend_crl_config (and scripts) write and read back. Values arrive as strings,
// as the CLI and most HTTP clients send them, and as JSON lists and numbers, as Terraform does.

func urlsWrite(name string, data map[string]interface{}) step {
	return step{name: "write urls " + name, op: logical.UpdateOperation, path: "config/urls", data: data}
}

func crlWrite(name string, data map[string]interface{}) step {
	return step{name: "write crl " + name, op: logical.UpdateOperation, path: "config/crl", data: data}
}

// aiaURLSamples are URL spellings native's AIA check accepts (true) or refuses (false); both
// engines must agree on each.
var aiaURLSamples = []struct {
	url string
	ok  bool
}{
	{"https://a.example.com:8200/v1/pki/ca", true},
	{"ldap://ldap.example.com/cn=crl", true},
	{"a.example.com:8200/ca", true},
	{"/v1/pki/crl.der", true},
	{"http://10.0.0.1/crl", true},
	{"http://[::1]:8200/v1/pki/ocsp", true},
	{"example.com/crl", false},
	{"/crl/delta", false},
	{"http://.example.com/ocsp", false},
	{"abc", false},
}

func aiaURLSteps() []step {
	var steps []step
	for _, s := range aiaURLSamples {
		st := urlsWrite("sample "+s.url, map[string]interface{}{"ocsp_servers": s.url})
		if !s.ok {
			st = st.answers(400)
		}
		steps = append(steps, st)
	}
	return steps
}

func configCAScenarios() []scenario {
	return []scenario{
		{name: "config urls: what counts as a URL", steps: aiaURLSteps()},
		{name: "config urls: defaults, round trip and checks", steps: []step{
			readStep("read urls before any write", "config/urls"),
			urlsWrite("with no field", map[string]interface{}{}),
			urlsWrite("as strings", map[string]interface{}{
				"issuing_certificates":    "http://a.example.com/v1/pki/ca, http://b.example.com/v1/pki/ca",
				"crl_distribution_points": "http://a.example.com/v1/pki/crl",
				"ocsp_servers":            "http://ocsp.example.com:8200/v1/pki/ocsp",
				"enable_templating":       "false",
			}),
			readStep("read urls back", "config/urls"),
			urlsWrite("as a JSON list", map[string]interface{}{
				"crl_distribution_points": []interface{}{"http://c.example.com/crl", "ldap://ldap.example.com/cn=crl"},
			}),
			urlsWrite("clearing one list", map[string]interface{}{"issuing_certificates": ""}),
			readStep("read urls after clearing", "config/urls"),
			urlsWrite("delta without crl points", map[string]interface{}{
				"crl_distribution_points":       "",
				"delta_crl_distribution_points": "http://d.example.com/delta.crl",
			}),
			urlsWrite("bad issuing url", map[string]interface{}{"issuing_certificates": "not a url"}).answers(400),
			urlsWrite("bad ocsp url", map[string]interface{}{"ocsp_servers": "ftp"}).answers(400),
			urlsWrite("bad crl url", map[string]interface{}{"crl_distribution_points": ".example.com/crl"}).answers(400),
			urlsWrite("template without templating", map[string]interface{}{
				"issuing_certificates": "http://vault.example.com/v1/pki/issuer/{{issuer_id}}/der",
			}).answers(400),
			urlsWrite("bad enable_templating", map[string]interface{}{"enable_templating": "maybe"}).answers(400),
			readStep("read urls after refusals", "config/urls"),
			urlsWrite("templated with issuer id", map[string]interface{}{
				"enable_templating":    true,
				"issuing_certificates": "http://vault.example.com/v1/pki/issuer/{{issuer_id}}/der",
			}),
			urlsWrite("templated with cluster path", map[string]interface{}{
				"issuing_certificates": "{{cluster_path}}/issuer/{{issuer_id}}/der",
			}),
			readStep("read templated urls", "config/urls"),
			urlsWrite("with an unknown parameter", map[string]interface{}{"bogus": "x"}),
			{name: "delete urls", op: logical.DeleteOperation, path: "config/urls", want: 405},
		}},
		{name: "config crl: defaults, round trip and checks", steps: []step{
			readStep("read crl before any write", "config/crl"),
			crlWrite("with no field", map[string]interface{}{}),
			// Every field as a string, the way terraform's crl_config resource and the CLI send them.
			crlWrite("as strings", map[string]interface{}{
				"expiry":                        "48h",
				"disable":                       "true",
				"ocsp_disable":                  "true",
				"ocsp_expiry":                   "0",
				"auto_rebuild":                  "true",
				"auto_rebuild_grace_period":     "6h",
				"enable_delta":                  "true",
				"delta_rebuild_interval":        "30m",
				"cross_cluster_revocation":      "false",
				"unified_crl":                   "false",
				"unified_crl_on_existing_paths": "false",
				"max_crl_entries":               "-1",
			}),
			readStep("read crl back", "config/crl"),
			crlWrite("expiry in seconds", map[string]interface{}{"expiry": 86400, "disable": false}),
			crlWrite("max_crl_entries zero is ignored", map[string]interface{}{"max_crl_entries": 0}),
			crlWrite("max_crl_entries below -1 is ignored", map[string]interface{}{"max_crl_entries": -7}),
			readStep("read crl after ignored values", "config/crl"),
			crlWrite("bad expiry", map[string]interface{}{"expiry": "soon"}).answers(400),
			crlWrite("negative ocsp_expiry", map[string]interface{}{"ocsp_expiry": "-1h"}).answers(400),
			crlWrite("bad ocsp_expiry", map[string]interface{}{"ocsp_expiry": "x"}).answers(400),
			crlWrite("bad grace period", map[string]interface{}{"auto_rebuild_grace_period": "later"}).answers(400),
			crlWrite("bad delta interval", map[string]interface{}{"delta_rebuild_interval": "often"}).answers(400),
			crlWrite("grace period not shorter than expiry", map[string]interface{}{"auto_rebuild_grace_period": "24h"}).answers(400),
			crlWrite("delta window not shorter than expiry", map[string]interface{}{"delta_rebuild_interval": "25h"}).answers(400),
			crlWrite("empty expiry with auto rebuild", map[string]interface{}{"expiry": ""}).answers(400),
			crlWrite("delta without auto rebuild", map[string]interface{}{"auto_rebuild": false}).answers(400),
			crlWrite("cross_cluster_revocation", map[string]interface{}{"cross_cluster_revocation": true}).answers(400),
			crlWrite("unified_crl", map[string]interface{}{"unified_crl": true}).answers(400),
			crlWrite("unified_crl_on_existing_paths alone", map[string]interface{}{"unified_crl_on_existing_paths": true}).answers(400),
			crlWrite("bad disable", map[string]interface{}{"disable": "yes"}).answers(400),
			crlWrite("bad max_crl_entries", map[string]interface{}{"max_crl_entries": "many"}).answers(400),
			readStep("read crl after refusals", "config/crl"),
			{name: "delete crl", op: logical.DeleteOperation, path: "config/crl", want: 405},
		}},
		// Empty durations are accepted; what a read then answers depends on native's storage
		// migrations (expiry and, on a first write only, delta_rebuild_interval read back as defaults).
		{name: "config crl: empty durations", steps: []step{
			crlWrite("empty durations first", map[string]interface{}{"expiry": "", "delta_rebuild_interval": "", "auto_rebuild_grace_period": ""}),
			readStep("read crl after empty durations", "config/crl"),
			crlWrite("empty durations again", map[string]interface{}{"expiry": "", "delta_rebuild_interval": "", "ocsp_expiry": ""}),
			readStep("read crl after second empty write", "config/crl"),
		}},
	}
}
