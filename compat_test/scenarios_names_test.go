package compattest

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"net/url"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// nameScenarios probe the corners of native's name policy (hostnames, wildcards, globs, bare domains, subdomains) that a
// re-implementation most easily gets wrong.
func nameScenarios(t *testing.T) []scenario {
	ecKey := mustECKey(t)
	spiffe, err := url.Parse("spiffe://example.com/svc")
	if err != nil {
		t.Fatal(err)
	}
	_, fullCSR := testcerts.CSR(t, ecKey, &x509.CertificateRequest{
		Subject:        pkix.Name{CommonName: "full.example.com"},
		DNSNames:       []string{"full.example.com", "b.example.com"},
		IPAddresses:    []net.IP{net.ParseIP("10.1.2.3")},
		URIs:           []*url.URL{spiffe},
		EmailAddresses: []string{"ops@mail.example.com"},
	})
	cn := func(name string) map[string]interface{} { return map[string]interface{}{"common_name": name} }
	return []scenario{
		{name: "names: native policy corners", steps: []step{
			writeRole("web", webRole),
			issueStep("suffix match is case-sensitive", "web", cn("Foo.Example.com")).answers(400),
			issueStep("multi-level subdomain", "web", cn("a.b.example.com")),
			issueStep("look-alike suffix", "web", cn("fooexample.com")).answers(400),
			issueStep("wildcard subdomain", "web", cn("*.foo.example.com")),
			issueStep("partial wildcard", "web", cn("f*.example.com")),
			issueStep("subdomain of localhost", "web", cn("foo.localhost")),
			issueStep("email SAN in a subdomain", "web", map[string]interface{}{"common_name": "m.example.com", "alt_names": "user@foo.example.com"}),
			issueStep("email SAN at the bare domain", "web", map[string]interface{}{"common_name": "m.example.com", "alt_names": "user@example.com"}).answers(400),
			issueStep("alt names that are not host names are dropped", "web", map[string]interface{}{"common_name": "d.example.com", "alt_names": "foo_bar.example.com,not a host"}),
			writeRole("anyname", map[string]interface{}{"allow_any_name": true, "enforce_hostnames": false}),
			issueStep("any name, not a host name", "anyname", cn("My Service")),
			issueStep("any name, lone star", "anyname", cn("*")),
			writeRole("any", anyKeyRole),
			signStep("CSR with IP, URI and email SANs", "any", map[string]interface{}{"csr": fullCSR}).answers(400),
			writeRole("anyuri", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "key_type": "any", "allowed_uri_sans": "spiffe://example.com/*"}),
			signStep("CSR with IP, URI and email SANs on a role allowing the URI", "anyuri", map[string]interface{}{"csr": fullCSR}),
			writeRole("reqsans", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "key_type": "any", "use_csr_sans": false}),
			signStep("SANs from the request, not the CSR", "reqsans", map[string]interface{}{"csr": fullCSR, "alt_names": "alt.example.com"}),
			writeRole("reqcn", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "key_type": "any", "use_csr_common_name": false}),
			signStep("CN from the request, not the CSR", "reqcn", map[string]interface{}{"csr": csrPEM(t, ecKey, "csr.example.com"), "common_name": "req.example.com"}),
		}},
	}
}
