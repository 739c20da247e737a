package compattest

import "github.com/hashicorp/vault/sdk/logical"

func readStep(name, path string) step {
	return step{name: name, op: logical.ReadOperation, path: path}
}

func fetchScenarios() []scenario {
	return []scenario{
		{name: "fetch: cert/:serial spellings, raw and list", steps: []step{
			writeRole("web", webRole),
			issueStep("issue", "web", map[string]interface{}{"common_name": "fetch.example.com"}),
			readStep("colon serial", "cert/{serial}"),
			readStep("hyphen serial", "cert/{serial_hyphen}"),
			readStep("upper-case serial", "cert/{serial_upper}"),
			readStep("raw DER", "cert/{serial}/raw"),
			readStep("raw PEM", "cert/{serial}/raw/pem"),
			readStep("raw DER, hyphen serial", "cert/{serial_hyphen}/raw"),
			{name: "list certs", op: logical.ListOperation, path: "certs/"},
			readStep("unknown serial", "cert/01:02:03:04:05:06:07:08").answers(404),
			readStep("unknown serial raw", "cert/01:02:03:04:05:06:07:08/raw").answers(204),
			readStep("unknown serial raw PEM", "cert/01:02:03:04:05:06:07:08/raw/pem").answers(204),
		}},
		{name: "fetch: CA, chain and CRL endpoints", steps: []step{
			readStep("ca", "ca"),
			readStep("ca/pem", "ca/pem"),
			readStep("ca_chain", "ca_chain"),
			readStep("cert/ca_chain", "cert/ca_chain"),
			readStep("cert/ca", "cert/ca"),
			readStep("cert/ca/raw", "cert/ca/raw"),
			readStep("cert/ca/raw/pem", "cert/ca/raw/pem"),
			readStep("crl", "crl"),
			readStep("crl/pem", "crl/pem"),
			readStep("cert/crl", "cert/crl"),
			{name: "list certs before any issuance", want: 404, op: logical.ListOperation, path: "certs/"},
			{name: "list revoked before any revocation", want: 404, op: logical.ListOperation, path: "certs/revoked/"},
		}},
	}
}
