package pkicompat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// roleEntry is one role: every field native PKI stores for a role, plus this engine's own CA
// selection fields (ca, template, metadata, allow_request_overrides).
//
// The JSON tags are the native response names. Durations are stored as time.Duration
// (nanoseconds); responses convert them to integer seconds as native does.
type roleEntry struct {
	TTL               time.Duration `json:"ttl"`
	MaxTTL            time.Duration `json:"max_ttl"`
	NotBeforeDuration time.Duration `json:"not_before_duration"`
	NotAfter          string        `json:"not_after"`

	AllowLocalhost            bool     `json:"allow_localhost"`
	AllowedDomains            []string `json:"allowed_domains"`
	AllowedDomainsTemplate    bool     `json:"allowed_domains_template"`
	AllowBareDomains          bool     `json:"allow_bare_domains"`
	AllowSubdomains           bool     `json:"allow_subdomains"`
	AllowGlobDomains          bool     `json:"allow_glob_domains"`
	AllowWildcardCertificates *bool    `json:"allow_wildcard_certificates"`
	AllowAnyName              bool     `json:"allow_any_name"`
	EnforceHostnames          bool     `json:"enforce_hostnames"`
	AllowIPSANs               bool     `json:"allow_ip_sans"`
	AllowedURISANs            []string `json:"allowed_uri_sans"`
	AllowedURISANsTemplate    bool     `json:"allowed_uri_sans_template"`
	AllowedOtherSANs          []string `json:"allowed_other_sans"`
	AllowedSerialNumbers      []string `json:"allowed_serial_numbers"`
	AllowedUserIDs            []string `json:"allowed_user_ids"`
	// AllowTokenDisplayName is not an input field in current native PKI; it is returned (false)
	// so role reads carry the same keys.
	AllowTokenDisplayName bool `json:"allow_token_displayname"`

	ServerFlag          bool `json:"server_flag"`
	ClientFlag          bool `json:"client_flag"`
	CodeSigningFlag     bool `json:"code_signing_flag"`
	EmailProtectionFlag bool `json:"email_protection_flag"`

	KeyType       string `json:"key_type"`
	KeyBits       int    `json:"key_bits"`
	SignatureBits int    `json:"signature_bits"`
	UsePSS        bool   `json:"use_pss"`

	KeyUsage        []string `json:"key_usage"`
	ExtKeyUsage     []string `json:"ext_key_usage"`
	ExtKeyUsageOIDs []string `json:"ext_key_usage_oids"`

	OU            []string `json:"ou"`
	Organization  []string `json:"organization"`
	Country       []string `json:"country"`
	Locality      []string `json:"locality"`
	Province      []string `json:"province"`
	StreetAddress []string `json:"street_address"`
	PostalCode    []string `json:"postal_code"`

	UseCSRCommonName   bool     `json:"use_csr_common_name"`
	UseCSRSANs         bool     `json:"use_csr_sans"`
	SerialNumberSource string   `json:"serial_number_source"`
	RequireCN          bool     `json:"require_cn"`
	CNValidations      []string `json:"cn_validations"`

	PolicyIdentifiers             []string `json:"policy_identifiers"`
	BasicConstraintsValidForNonCA bool     `json:"basic_constraints_valid_for_non_ca"`

	IssuerRef     string `json:"issuer_ref"`
	NoStore       bool   `json:"no_store"`
	GenerateLease *bool  `json:"generate_lease"`

	// CA and Template pin the CA and its profile for certificates of this role; empty means the
	// request's value, else the config's. Metadata is a JSON object (as text) attached to every
	// certificate of the role. AllowRequestOverrides lets a request name a CA or template other
	// than the pinned ones.
	CA                    string `json:"ca"`
	Template              string `json:"template"`
	Metadata              string `json:"metadata"`
	AllowRequestOverrides bool   `json:"allow_request_overrides"`

	// PendingTTL is how long a request the CA holds for approval is remembered (pending.go);
	// 0 means the default, 7 days. MetadataFromRequest is a JSON object (as text) naming, per
	// CA metadata field, the request-derived value it receives (metadata_request.go).
	PendingTTL          time.Duration `json:"pending_ttl"`
	MetadataFromRequest string        `json:"metadata_from_request"`
}

// getRole loads a role; nil, nil when it does not exist. Older or hand-written entries are
// completed with the native upgrade defaults (wildcards allowed, issuer "default", CN validations
// "email,hostname").
func getRole(ctx context.Context, s logical.Storage, name string) (*roleEntry, error) {
	if err := checkRoleNameToLoad(name); err != nil {
		return nil, err
	}
	role, err := getJSON[roleEntry](ctx, s, roleStoragePrefix+name, fmt.Sprintf("role %q", name))
	if err != nil {
		// A role of Keyfactor's older plugin not yet migrated (read on a node that does not
		// migrate, or before the migration ran) is read with the meaning it had there.
		if legacy := legacyRoleAt(ctx, s, roleStoragePrefix+name); legacy != nil {
			return legacy, nil
		}
		return nil, err
	}
	if role == nil {
		return nil, nil
	}
	role.upgradeDefaults()
	return role, nil
}

// putRole stores a role under its native key.
func putRole(ctx context.Context, s logical.Storage, name string, role *roleEntry) error {
	if err := checkRoleName(name); err != nil {
		return err
	}
	return putJSON(ctx, s, roleStoragePrefix+name, fmt.Sprintf("role %q", name), role)
}

// checkRoleName refuses a role name Vault's storage refuses as a key: one holding "..". Native
// PKI returns Vault's storage error, which Vault answers with 400 "relative paths not supported"
// (an error, not an error response: Vault wraps its text as it wraps any backend error). Through
// a plugin's storage the same error arrives as plain text and Vault would answer 500, so the
// name is refused here first, as a coded error with native's text.
func checkRoleName(name string) error {
	if strings.Contains(name, "..") {
		return logical.CodedError(http.StatusBadRequest, logical.ErrRelativePath.Error())
	}
	return nil
}

// checkRoleNameToLoad is checkRoleName with native's text for a role read.
func checkRoleNameToLoad(name string) error {
	if err := checkRoleName(name); err != nil {
		return logical.CodedError(http.StatusBadRequest, fmt.Sprintf("failed to load role %s: %s", name, err.Error()))
	}
	return nil
}

// upgradeDefaults fills fields an entry may lack with the values native PKI gives a stored role
// that predates them, so policy decisions never see a nil pointer or an empty validation list.
func (r *roleEntry) upgradeDefaults() {
	if r.AllowWildcardCertificates == nil {
		r.AllowWildcardCertificates = roleBoolPtr(true)
	}
	if r.GenerateLease == nil {
		r.GenerateLease = roleBoolPtr(false)
	}
	if r.IssuerRef == "" {
		r.IssuerRef = roleDefaultIssuerRef
	}
	if len(r.CNValidations) == 0 {
		r.CNValidations = []string{"email", "hostname"}
	}
	if r.KeyType == "" {
		r.KeyType = "rsa"
	}
}

// roleDefaultIssuerRef is the native name of the mount's default issuer.
const roleDefaultIssuerRef = "default"

// wildcardsAllowed reads the *bool as native does: unset means allowed.
func (r *roleEntry) wildcardsAllowed() bool {
	return r.AllowWildcardCertificates == nil || *r.AllowWildcardCertificates
}

func roleBoolPtr(v bool) *bool { return &v }

// Native defaults of a new role (what native answers for a role written with no fields), before the write-time normalisation of
// key_bits and signature_bits.
func newDefaultRole() *roleEntry {
	return &roleEntry{
		NotBeforeDuration:         30 * time.Second,
		AllowLocalhost:            true,
		AllowedDomains:            []string{},
		AllowWildcardCertificates: roleBoolPtr(true),
		EnforceHostnames:          true,
		AllowIPSANs:               true,
		AllowedURISANs:            []string{},
		AllowedOtherSANs:          []string{},
		AllowedSerialNumbers:      []string{},
		AllowedUserIDs:            []string{},
		ServerFlag:                true,
		ClientFlag:                true,
		KeyType:                   "rsa",
		KeyUsage:                  []string{"DigitalSignature", "KeyAgreement", "KeyEncipherment"},
		ExtKeyUsage:               []string{},
		ExtKeyUsageOIDs:           []string{},
		OU:                        []string{},
		Organization:              []string{},
		Country:                   []string{},
		Locality:                  []string{},
		Province:                  []string{},
		StreetAddress:             []string{},
		PostalCode:                []string{},
		UseCSRCommonName:          true,
		UseCSRSANs:                true,
		SerialNumberSource:        "json-csr",
		RequireCN:                 true,
		CNValidations:             []string{"email", "hostname"},
		PolicyIdentifiers:         []string{},
		IssuerRef:                 roleDefaultIssuerRef,
		GenerateLease:             roleBoolPtr(false),
	}
}

// unenforcedRoleFields are native role fields this engine stores and returns but cannot make
// true itself: the CA's template decides key usages, extended key usages, policies, validity and
// the signature algorithm; identity templating of allowed names needs the caller's entity, which
// this engine does not resolve (template entries are compared literally).
var unenforcedRoleFields = []string{
	"allowed_domains_template",
	"allowed_uri_sans_template",
	"basic_constraints_valid_for_non_ca",
	"client_flag",
	"code_signing_flag",
	"email_protection_flag",
	"ext_key_usage",
	"ext_key_usage_oids",
	"key_usage",
	"max_ttl",
	"not_after",
	"not_before_duration",
	"policy_identifiers",
	"server_flag",
	"signature_bits",
	"ttl",
	"use_pss",
}

// enforcedRoleFields are the role fields this engine applies itself at issuance (sorted): the
// name policy, the key it generates or accepts, the subject it puts into the CSR, storage and
// leases, and the CA selection.
var enforcedRoleFields = []string{
	"allow_any_name",
	"allow_bare_domains",
	"allow_glob_domains",
	"allow_ip_sans",
	"allow_localhost",
	"allow_request_overrides",
	"allow_subdomains",
	"allow_wildcard_certificates",
	"allowed_domains",
	"allowed_other_sans",
	"allowed_serial_numbers",
	"allowed_uri_sans",
	"allowed_user_ids",
	"ca",
	"cn_validations",
	"country",
	"enforce_hostnames",
	"generate_lease",
	"issuer_ref",
	"key_bits",
	"key_type",
	"locality",
	"metadata",
	"metadata_from_request",
	"no_store",
	"organization",
	"ou",
	"pending_ttl",
	"postal_code",
	"province",
	"require_cn",
	"serial_number_source",
	"street_address",
	"template",
	"use_csr_common_name",
	"use_csr_sans",
}

// responseData is the role as native returns it (same keys, same JSON types: durations in
// integer seconds, lists never null), plus this engine's ca, template, metadata,
// allow_request_overrides and enforced_fields.
func (r *roleEntry) responseData() map[string]interface{} {
	list := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	generateLease := r.GenerateLease != nil && *r.GenerateLease
	return map[string]interface{}{
		"ttl":                                int64(r.TTL / time.Second),
		"max_ttl":                            int64(r.MaxTTL / time.Second),
		"allow_localhost":                    r.AllowLocalhost,
		"allowed_domains":                    list(r.AllowedDomains),
		"allowed_domains_template":           r.AllowedDomainsTemplate,
		"allow_bare_domains":                 r.AllowBareDomains,
		"allow_token_displayname":            r.AllowTokenDisplayName,
		"allow_subdomains":                   r.AllowSubdomains,
		"allow_glob_domains":                 r.AllowGlobDomains,
		"allow_wildcard_certificates":        r.wildcardsAllowed(),
		"allow_any_name":                     r.AllowAnyName,
		"allowed_uri_sans_template":          r.AllowedURISANsTemplate,
		"enforce_hostnames":                  r.EnforceHostnames,
		"allow_ip_sans":                      r.AllowIPSANs,
		"server_flag":                        r.ServerFlag,
		"client_flag":                        r.ClientFlag,
		"code_signing_flag":                  r.CodeSigningFlag,
		"email_protection_flag":              r.EmailProtectionFlag,
		"use_csr_common_name":                r.UseCSRCommonName,
		"use_csr_sans":                       r.UseCSRSANs,
		"serial_number_source":               r.SerialNumberSource,
		"key_type":                           r.KeyType,
		"key_bits":                           r.KeyBits,
		"signature_bits":                     r.SignatureBits,
		"use_pss":                            r.UsePSS,
		"key_usage":                          list(r.KeyUsage),
		"ext_key_usage":                      list(r.ExtKeyUsage),
		"ext_key_usage_oids":                 list(r.ExtKeyUsageOIDs),
		"ou":                                 list(r.OU),
		"organization":                       list(r.Organization),
		"country":                            list(r.Country),
		"locality":                           list(r.Locality),
		"province":                           list(r.Province),
		"street_address":                     list(r.StreetAddress),
		"postal_code":                        list(r.PostalCode),
		"no_store":                           r.NoStore,
		"generate_lease":                     generateLease,
		"allowed_other_sans":                 list(r.AllowedOtherSANs),
		"allowed_serial_numbers":             list(r.AllowedSerialNumbers),
		"allowed_user_ids":                   list(r.AllowedUserIDs),
		"allowed_uri_sans":                   list(r.AllowedURISANs),
		"require_cn":                         r.RequireCN,
		"cn_validations":                     list(r.CNValidations),
		"policy_identifiers":                 list(r.PolicyIdentifiers),
		"basic_constraints_valid_for_non_ca": r.BasicConstraintsValidForNonCA,
		"not_before_duration":                int64(r.NotBeforeDuration / time.Second),
		"not_after":                          r.NotAfter,
		"issuer_ref":                         r.IssuerRef,

		"ca":                      r.CA,
		"template":                r.Template,
		"metadata":                r.Metadata,
		"allow_request_overrides": r.AllowRequestOverrides,
		"pending_ttl":             int64(r.pendingTTL() / time.Second),
		"metadata_from_request":   r.MetadataFromRequest,
		"enforced_fields":         append([]string(nil), enforcedRoleFields...),
	}
}

// pendingTTL is how long the role's held requests are remembered.
func (r *roleEntry) pendingTTL() time.Duration {
	if r.PendingTTL > 0 {
		return r.PendingTTL
	}
	return defaultPendingTTL
}
