package pkicompat

import (
	"net/http"
	"strings"

	"github.com/hashicorp/vault/sdk/framework"
)

// Fields this engine answers that native PKI's response schema for the same operation lacks. They
// are declared so generated clients see them; compat_test's OpenAPI comparison lists each with
// its reason (compat_test/openapi_extras.json).
var (
	// authorityKeyIDField: Vault 1.21.4 answers authority_key_id on issue, sign and cert reads;
	// the 1.21.0 schema the comparison reads does not declare it yet.
	authorityKeyIDField = map[string]framework.FieldType{"authority_key_id": framework.TypeString}
	// roleExtraFields: the Command CA, template and metadata a role may pin, and which native
	// role fields this engine enforces.
	roleExtraFields = map[string]framework.FieldType{
		"ca":                      framework.TypeString,
		"template":                framework.TypeString,
		"metadata":                framework.TypeString,
		"allow_request_overrides": framework.TypeBool,
		"pending_ttl":             framework.TypeInt64,
		"metadata_from_request":   framework.TypeString,
		"enforced_fields":         framework.TypeStringSlice,
	}
)

// nativeOK declares the 200 response native PKI declares for the operation it calls opID
// (nativeResponseFields, generated from native's own OpenAPI document), plus the extra fields
// this engine also answers, so generated clients get the same response types from both engines.
func nativeOK(opID string, extra ...map[string]framework.FieldType) map[int][]framework.Response {
	fields := map[string]*framework.FieldSchema{}
	for name, t := range nativeResponseFields[opID] {
		fields[name] = &framework.FieldSchema{Type: t}
	}
	for _, e := range extra {
		for name, t := range e {
			fields[name] = &framework.FieldSchema{Type: t}
		}
	}
	return map[int][]framework.Response{http.StatusOK: {{Description: "OK", Fields: fields}}}
}

// operationID is the operation id Vault's framework derives from attrs for the index-th path a
// pattern expands to (OperationSuffix may hold one suffix per expansion, "|" separated).
func operationID(attrs *framework.DisplayAttributes, index int) string {
	var parts []string
	suffixes := strings.Split(attrs.OperationSuffix, "|")
	for _, p := range []string{attrs.OperationPrefix, attrs.OperationVerb, suffixes[min(index, len(suffixes)-1)]} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "-")
}

// nativeIssueAttrs are native's display attributes for issue/:role, sign/:role and
// sign-verbatim(/:role), and their issuer/:ref/... forms (whose prefix is "pki-issuer").
func nativeIssueAttrs(mode issueMode, issuerScoped bool) *framework.DisplayAttributes {
	attrs := &framework.DisplayAttributes{OperationPrefix: "pki"}
	if issuerScoped {
		attrs.OperationPrefix = "pki-issuer"
	}
	switch mode {
	case modeIssue:
		attrs.OperationVerb, attrs.OperationSuffix = "issue", "with-role"
	case modeSign:
		attrs.OperationVerb, attrs.OperationSuffix = "sign", "with-role"
	case modeSignVerbatim:
		attrs.OperationVerb, attrs.OperationSuffix = "sign", "verbatim|verbatim-with-role"
	}
	return attrs
}
