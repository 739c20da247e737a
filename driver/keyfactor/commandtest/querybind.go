package commandtest

import (
	"net/url"
	"strings"
)

// Query objects of the paged list endpoints, named as Command's controllers name the C#
// parameter that ASP.NET binds them to. Evidence: Keyfactor's generated Go SDK for Command 10
// sends pq.queryString/pq.returnLimit… to /Certificates and /CertificateAuthority,
// sq.queryString/sq.returnLimit… to /Templates and pagedQuery.* to the workflow lists; the v25
// SDK sends the un-prefixed names (QueryString, ReturnLimit) to all of them.
const (
	queryObjectCertificates = "pq"
	queryObjectCAs          = "pq"
	queryObjectTemplates    = "sq"
	queryObjectWorkflow     = "pagedQuery"
	// Inferred: the metadata-field and enrollment-pattern controllers are not evidenced with a
	// prefix; Keyfactor's API docs show pq.* for metadata fields, so pq is used for both.
	queryObjectMetadata = "pq"
	queryObjectPatterns = "pq"
)

// queryObject binds the query-string properties of the complex parameter named prefix, the
// way ASP.NET Core model binding does (Microsoft Learn, "Model Binding in ASP.NET Core",
// complex types: it looks for prefix.property_name and, if nothing with that prefix is found,
// for property_name without a prefix). The fallback is decided for the whole object: once any
// "pq." name is present, un-prefixed names are ignored, and names with another prefix
// ("sq.returnLimit" sent to a pq endpoint) never bind. Names match case-insensitively.
// The result is keyed by lower-case property name.
func queryObject(ar *apiRequest, prefix string) map[string]string {
	all := ar.query()
	want := strings.ToLower(prefix) + "."
	prefixed := false
	for name := range all {
		if strings.HasPrefix(strings.ToLower(name), want) {
			prefixed = true
			break
		}
	}
	out := map[string]string{}
	for name, vals := range all {
		if len(vals) == 0 {
			continue
		}
		lower := strings.ToLower(name)
		switch {
		case prefixed && strings.HasPrefix(lower, want):
			out[strings.TrimPrefix(lower, want)] = vals[0]
		case !prefixed && !strings.Contains(lower, "."):
			out[lower] = vals[0]
		}
	}
	return out
}

// queryParams binds the simple (non-object) parameters of an action, such as includeMetadata
// or forceEnroll: by exact name, case-insensitively, never with a prefix (same Microsoft Learn
// page: simple types bind by parameter name).
func queryParams(ar *apiRequest) map[string]string {
	out := map[string]string{}
	for name, vals := range ar.query() {
		if len(vals) > 0 && !strings.Contains(name, ".") {
			out[strings.ToLower(name)] = vals[0]
		}
	}
	return out
}

// query parses the request's query string. Inferred: Command 10 (ASP.NET on .NET Framework
// behind IIS) is taken to read "+" in a query value as a plus sign, not a space; the evidence is
// indirect: Keyfactor's own Go client began rewriting "+" to "%20" after encoding in 2022 and the
// older Vault plugin sends PQL with %20, which a server decoding "+" as a space would not have
// needed. Later profiles decode "+" as a space, as ASP.NET Core does.
func (ar *apiRequest) query() url.Values {
	raw := ar.r.URL.RawQuery
	if ar.plusIsLiteral {
		raw = strings.ReplaceAll(raw, "+", "%2B")
	}
	q, _ := url.ParseQuery(raw)
	return q
}
