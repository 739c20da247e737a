package pkicompat

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/helper/certutil"
	"github.com/hashicorp/vault/sdk/logical"
)

const (
	pathRolesHelpSyn  = `List the existing roles in this backend.`
	pathRolesHelpDesc = `Roles are listed by name.`
	pathRoleHelpSyn   = `Manage the roles that control which certificates may be issued.`
	pathRoleHelpDesc  = `A role holds the native PKI role fields. The name policy (allowed_domains and
its companion flags, IP/URI/other SANs, serial numbers, user ids, CN validation), key type and
size, subject fields, storage and lease settings are enforced by this engine; fields the CA's
template decides (key usages, validity, policies, signature) are stored and returned, and a write
that sets them answers with a warning. A read lists the enforced fields in "enforced_fields".
Roles may also pin the CA ("ca") and its template ("template"), attach "metadata" (a JSON
object) and allow requests to override ca/template ("allow_request_overrides").`
)

// Native role-write texts, kept identical so existing tooling reads them the same way.
const (
	warnGenerateLease   = "it is encouraged to disable generate_lease and rely on PKI's native capabilities when possible; this option can cause Vault-wide issues with large numbers of issued certificates"
	warnNoStoreAndLease = "mutually exclusive values no_store=true and generate_lease=true were both specified; no_store=true takes priority"
	warnNoDefaultIssuer = "Issuing Certificate was set to default, but no default issuing certificate (configurable at /config/issuers) is currently set"
	errPatchMissingRole = "Unable to fetch role entry to patch"
)

// unenforcedWarningFormat answers a write that sets fields this engine stores but does not apply.
const unenforcedWarningFormat = "this engine stores but does not enforce these role fields: %s " +
	"(key usages, validity, policies and signature settings come from the CA's certificate template; " +
	"identity templates in allowed names are compared literally)"

func (b *backend) rolePaths() []*framework.Path {
	return []*framework.Path{
		{
			Pattern: "roles/?$",
			DisplayAttrs: &framework.DisplayAttributes{
				OperationPrefix: "pki",
				OperationSuffix: "roles",
			},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ListOperation: &framework.PathOperation{Callback: b.pathRoleList},
			},
			HelpSynopsis:    pathRolesHelpSyn,
			HelpDescription: pathRolesHelpDesc,
		},
		{
			Pattern: "roles/" + framework.GenericNameRegex("name"),
			DisplayAttrs: &framework.DisplayAttributes{
				OperationPrefix: "pki",
				OperationSuffix: "role",
			},
			Fields: roleFieldSchemas(),
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ReadOperation: &framework.PathOperation{Callback: b.pathRoleRead, Responses: nativeOK("pki-read-role", roleExtraFields)},
				logical.UpdateOperation: &framework.PathOperation{
					Callback:                    b.pathRoleWrite,
					Responses:                   nativeOK("pki-write-role", roleExtraFields),
					ForwardPerformanceStandby:   true,
					ForwardPerformanceSecondary: true,
				},
				logical.PatchOperation: &framework.PathOperation{
					Callback:                    b.pathRolePatch,
					Responses:                   nativeOK("pki-patch-role", roleExtraFields),
					ForwardPerformanceStandby:   true,
					ForwardPerformanceSecondary: true,
				},
				logical.DeleteOperation: &framework.PathOperation{
					Callback:                    b.pathRoleDelete,
					ForwardPerformanceStandby:   true,
					ForwardPerformanceSecondary: true,
				},
			},
			HelpSynopsis:    pathRoleHelpSyn,
			HelpDescription: pathRoleHelpDesc,
		},
	}
}

func (b *backend) pathRoleList(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	names, err := req.Storage.List(ctx, roleStoragePrefix)
	if err != nil {
		return nil, fmt.Errorf("listing roles: %w", err)
	}
	sort.Strings(names)
	return logical.ListResponse(names), nil
}

func (b *backend) pathRoleRead(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	name := d.Get("name").(string)
	if name == "" {
		return logical.ErrorResponse("missing role name"), nil
	}
	role, err := getRole(ctx, req.Storage, name)
	if err != nil {
		return respond(err)
	}
	if role == nil {
		return nil, nil
	}
	return &logical.Response{Data: role.responseData()}, nil
}

func (b *backend) pathRoleDelete(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	name := d.Get("name").(string)
	if err := checkRoleName(name); err != nil {
		return respond(err)
	}
	if err := req.Storage.Delete(ctx, roleStoragePrefix+name); err != nil {
		return nil, fmt.Errorf("deleting role %q: %w", name, err)
	}
	b.storedRoles.evict(name)
	return nil, nil
}

// pathRoleWrite creates or replaces a role: every field not in the request takes its native
// default, as a native write does.
func (b *backend) pathRoleWrite(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	return b.storeRole(ctx, req, d, newDefaultRole())
}

// pathRolePatch changes only the fields in the request.
func (b *backend) pathRolePatch(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	old, err := getRole(ctx, req.Storage, d.Get("name").(string))
	if err != nil {
		return respond(err)
	}
	if old == nil {
		return logical.ErrorResponse(errPatchMissingRole), nil
	}
	return b.storeRole(ctx, req, d, old)
}

// storeRole applies the request to base, validates and normalises the result as native does,
// stores it and answers with the full role and the write's warnings.
func (b *backend) storeRole(ctx context.Context, req *logical.Request, d *framework.FieldData, base *roleEntry) (*logical.Response, error) {
	name := d.Get("name").(string)
	previousLease := base.GenerateLease != nil && *base.GenerateLease
	role := base
	if err := applyRoleFields(role, d); err != nil {
		return respond(Invalid("%s", err.Error()))
	}

	if err := role.validateAndNormalise(); err != nil {
		return respond(err)
	}

	var warnings []string
	// Native warns when the role's issuer does not resolve. Here issuers are the CAs reached
	// through the configured driver, so with no configuration no reference resolves; with one,
	// any CA name is a valid reference and is checked at issuance.
	conf, err := loadConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	if conf == nil {
		if role.IssuerRef == roleDefaultIssuerRef {
			warnings = append(warnings, warnNoDefaultIssuer)
		} else {
			warnings = append(warnings, fmt.Sprintf("Issuing Certificate was set to %s but no issuing certificate currently has that name", role.IssuerRef))
		}
	}
	// no_store wins over generate_lease; the lease request counts whether it is in this write or
	// (on patch) already stored.
	leaseWanted := previousLease
	(&fieldApplier{d: d}).boolean("generate_lease", &leaseWanted)
	if role.NoStore {
		role.GenerateLease = roleBoolPtr(false)
		if leaseWanted {
			warnings = append(warnings, warnNoStoreAndLease)
		}
	} else {
		role.GenerateLease = roleBoolPtr(leaseWanted)
		if leaseWanted {
			warnings = append(warnings, warnGenerateLease)
		}
	}

	metadataWarnings, err := b.checkMetadataFields(ctx, req.Storage, role)
	if err != nil {
		return respond(err)
	}
	warnings = append(warnings, metadataWarnings...)

	if unenforced := unenforcedFieldsSet(d, role); len(unenforced) > 0 {
		warnings = append(warnings, fmt.Sprintf(unenforcedWarningFormat, strings.Join(unenforced, ", ")))
	}

	if err := putRole(ctx, req.Storage, name, role); err != nil {
		return respond(err)
	}
	b.storedRoles.evict(name)
	resp := &logical.Response{Data: role.responseData()}
	for _, w := range warnings {
		resp.AddWarning(w)
	}
	return resp, nil
}

// validateAndNormalise checks a role about to be stored and fills the values native derives at
// write time (key_bits and signature_bits defaults, lower-cased cn_validations). It returns the
// refusal (a *ValidationError), or nil when the role is valid. Texts and normalisations follow the Vault 1.21.0
// engine the compatibility tests run against; where it answers HTTP 500 (cn_validations,
// policy_identifiers) this engine answers 400, since each is a mistake in the request.
func (r *roleEntry) validateAndNormalise() error {
	if r.MaxTTL > 0 && r.TTL > r.MaxTTL {
		return Invalid(`"ttl" value must be less than "max_ttl" value`)
	}
	bits, err := normaliseKeyBits(r.KeyType, r.KeyBits)
	if err != nil {
		return Invalid("%s", err.Error())
	}
	r.KeyBits = bits
	if r.SignatureBits, err = normaliseSignatureBits(r.KeyType, r.SignatureBits); err != nil {
		return Invalid("%s", err.Error())
	}
	switch r.SerialNumberSource {
	case "", "json-csr", "json":
	default:
		return Invalid("unknown serial_number_source %s", r.SerialNumberSource)
	}
	for _, oid := range r.ExtKeyUsageOIDs {
		if _, err := certutil.StringToOid(oid); err != nil {
			return Invalid("%q could not be parsed as a valid oid for an extended key usage", oid)
		}
	}
	if len(r.PolicyIdentifiers) > 0 {
		if _, err := certutil.CreatePolicyInformationExtensionFromStorageStrings(r.PolicyIdentifiers); err != nil {
			return Invalid("%s", err.Error())
		}
	}
	if !(len(r.AllowedOtherSANs) == 0 || (len(r.AllowedOtherSANs) == 1 && r.AllowedOtherSANs[0] == "*")) {
		if _, err := parseOtherSANs(r.AllowedOtherSANs); err != nil {
			return Invalid("error parsing allowed_other_sans: %v", err)
		}
	}
	if r.IssuerRef == "" {
		r.IssuerRef = roleDefaultIssuerRef
	}
	validations, err := normaliseCNValidations(r.CNValidations)
	if err != nil {
		return Invalid("%s", err.Error())
	}
	r.CNValidations = validations
	// The same reading issuance applies, so a role that stores is a role that issues.
	if _, err := parseMetadata("metadata", r.Metadata); err != nil {
		return Invalid("%s", err.Error())
	}
	if _, err := parseMetadataFromRequest(r.MetadataFromRequest); err != nil {
		return err
	}
	return nil
}

// normaliseKeyBits gives key_bits its native default for the key type (rsa 2048, ec 256; other
// types keep what was given) and checks the pair.
func normaliseKeyBits(keyType string, bits int) (int, error) {
	if bits == 0 {
		switch keyType {
		case "rsa":
			bits = 2048
		case "ec":
			bits = 256
		}
	}
	switch keyType {
	case "rsa":
		if bits < minimumRSABits {
			return bits, fmt.Errorf("RSA keys < 2048 bits are unsafe and not supported: got %d", bits)
		}
		switch bits {
		case 2048, 3072, 4096, 8192:
		default:
			return bits, fmt.Errorf("unsupported bit length for RSA key: %d", bits)
		}
	case "ec":
		switch bits {
		case 224, 256, 384, 521:
		default:
			return bits, fmt.Errorf("unsupported bit length for EC key: %d", bits)
		}
	case "ed25519", "any":
	default:
		return bits, fmt.Errorf("unknown key type %s", keyType)
	}
	return bits, nil
}

// normaliseSignatureBits gives signature_bits its write-time value as the Vault 1.21.0 engine
// does: rsa defaults to 256 and must be 256, 384 or 512; ec keeps what was given; ed25519 and any
// have no separate hash, so 0.
func normaliseSignatureBits(keyType string, bits int) (int, error) {
	switch keyType {
	case "rsa":
		if bits == 0 {
			bits = 256
		}
		switch bits {
		case 256, 384, 512:
			return bits, nil
		}
		return bits, fmt.Errorf("unsupported hash signature algorithm: %d", bits)
	case "ed25519", "any":
		return 0, nil
	default:
		return bits, nil
	}
}

// normaliseCNValidations lower-cases cn_validations and checks it: "email" and/or "hostname",
// or "disabled" alone; empty means the default "email,hostname".
func normaliseCNValidations(values []string) ([]string, error) {
	if len(values) == 0 {
		return []string{"email", "hostname"}, nil
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(values))
	for _, v := range values {
		v = strings.ToLower(v)
		switch v {
		case "disabled", "email", "hostname":
		default:
			return nil, fmt.Errorf("cn_validations value incorrect: unknown type: `%s`", v)
		}
		if seen[v] {
			return nil, fmt.Errorf("cn_validations value incorrect: `%s` specified multiple times", v)
		}
		seen[v] = true
		out = append(out, v)
	}
	if seen["disabled"] && (seen["email"] || seen["hostname"]) {
		return nil, fmt.Errorf("cn_validations value incorrect: cannot specify `disabled` along with `email` or `hostname`")
	}
	return out, nil
}

// unenforcedFieldsSet names (sorted) the fields of this request that this engine does not
// enforce and whose value differs from the native default; a default value asks for nothing.
func unenforcedFieldsSet(d *framework.FieldData, role *roleEntry) []string {
	defaults := newDefaultRole()
	defaults.validateAndNormalise()
	want, have := defaults.responseData(), role.responseData()
	var names []string
	for _, f := range unenforcedRoleFields {
		if _, given := d.Raw[f]; !given {
			continue
		}
		if !reflect.DeepEqual(want[f], have[f]) {
			names = append(names, f)
		}
	}
	return names
}

// applyRoleFields copies every field present in the request onto r.
func applyRoleFields(r *roleEntry, d *framework.FieldData) error {
	a := fieldApplier{d: d}
	a.duration("ttl", &r.TTL)
	a.duration("max_ttl", &r.MaxTTL)
	a.duration("not_before_duration", &r.NotBeforeDuration)
	a.str("not_after", &r.NotAfter)

	a.boolean("allow_localhost", &r.AllowLocalhost)
	a.list("allowed_domains", &r.AllowedDomains)
	a.boolean("allowed_domains_template", &r.AllowedDomainsTemplate)
	a.boolean("allow_bare_domains", &r.AllowBareDomains)
	a.boolean("allow_subdomains", &r.AllowSubdomains)
	a.boolean("allow_glob_domains", &r.AllowGlobDomains)
	var wildcards bool
	if a.boolean("allow_wildcard_certificates", &wildcards) {
		r.AllowWildcardCertificates = roleBoolPtr(wildcards)
	}
	a.boolean("allow_any_name", &r.AllowAnyName)
	a.boolean("enforce_hostnames", &r.EnforceHostnames)
	a.boolean("allow_ip_sans", &r.AllowIPSANs)
	a.list("allowed_uri_sans", &r.AllowedURISANs)
	a.boolean("allowed_uri_sans_template", &r.AllowedURISANsTemplate)
	a.list("allowed_other_sans", &r.AllowedOtherSANs)
	a.list("allowed_serial_numbers", &r.AllowedSerialNumbers)
	a.list("allowed_user_ids", &r.AllowedUserIDs)

	a.boolean("server_flag", &r.ServerFlag)
	a.boolean("client_flag", &r.ClientFlag)
	a.boolean("code_signing_flag", &r.CodeSigningFlag)
	a.boolean("email_protection_flag", &r.EmailProtectionFlag)

	a.str("key_type", &r.KeyType)
	a.integer("key_bits", &r.KeyBits)
	a.integer("signature_bits", &r.SignatureBits)
	a.boolean("use_pss", &r.UsePSS)
	a.list("key_usage", &r.KeyUsage)
	a.list("ext_key_usage", &r.ExtKeyUsage)
	a.list("ext_key_usage_oids", &r.ExtKeyUsageOIDs)

	a.list("ou", &r.OU)
	a.list("organization", &r.Organization)
	a.list("country", &r.Country)
	a.list("locality", &r.Locality)
	a.list("province", &r.Province)
	a.list("street_address", &r.StreetAddress)
	a.list("postal_code", &r.PostalCode)

	a.boolean("use_csr_common_name", &r.UseCSRCommonName)
	a.boolean("use_csr_sans", &r.UseCSRSANs)
	a.str("serial_number_source", &r.SerialNumberSource)
	a.boolean("require_cn", &r.RequireCN)
	a.list("cn_validations", &r.CNValidations)
	a.policyIdentifiers(&r.PolicyIdentifiers)
	a.boolean("basic_constraints_valid_for_non_ca", &r.BasicConstraintsValidForNonCA)

	a.str("issuer_ref", &r.IssuerRef)
	a.boolean("no_store", &r.NoStore)

	a.str("ca", &r.CA)
	a.str("template", &r.Template)
	a.str("metadata", &r.Metadata)
	a.boolean("allow_request_overrides", &r.AllowRequestOverrides)
	a.duration("pending_ttl", &r.PendingTTL)
	a.str("metadata_from_request", &r.MetadataFromRequest)
	return a.err
}

// fieldApplier copies request fields of known types, keeping the first conversion error (the
// framework validates types before the handler runs, so an error here is a safety net).
type fieldApplier struct {
	d   *framework.FieldData
	err error
}

func (a *fieldApplier) get(name string) (interface{}, bool) {
	if a.err != nil {
		return nil, false
	}
	v, ok, err := a.d.GetOkErr(name)
	if err != nil {
		a.err = fmt.Errorf("invalid %s: %v", name, err)
		return nil, false
	}
	return v, ok && v != nil
}

func (a *fieldApplier) boolean(name string, dst *bool) bool {
	v, ok := a.get(name)
	if b, isBool := v.(bool); ok && isBool {
		*dst = b
		return true
	}
	return false
}

func (a *fieldApplier) integer(name string, dst *int) {
	v, ok := a.get(name)
	if i, isInt := v.(int); ok && isInt {
		*dst = i
	}
}

func (a *fieldApplier) str(name string, dst *string) {
	v, ok := a.get(name)
	if s, isString := v.(string); ok && isString {
		*dst = s
	}
}

func (a *fieldApplier) list(name string, dst *[]string) {
	v, ok := a.get(name)
	if l, isList := v.([]string); ok && isList {
		*dst = append([]string{}, l...)
	}
}

// duration reads a TypeDurationSecond field (seconds or a Go duration string).
func (a *fieldApplier) duration(name string, dst *time.Duration) {
	v, ok := a.get(name)
	if secs, isInt := v.(int); ok && isInt {
		*dst = time.Duration(secs) * time.Second
	}
}

// policyIdentifiers reads policy_identifiers as native does: a JSON list of policy objects
// (each stored as its JSON text), or else a comma list of OIDs.
func (a *fieldApplier) policyIdentifiers(dst *[]string) {
	v, ok := a.get("policy_identifiers")
	if !ok {
		return
	}
	if raw, isString := a.d.Raw["policy_identifiers"].(string); isString {
		var entries []certutil.PolicyIdentifierWithQualifierEntry
		if err := json.Unmarshal([]byte(raw), &entries); err == nil {
			out := make([]string, 0, len(entries))
			for _, e := range entries {
				text, err := json.Marshal(e)
				if err != nil {
					a.err = fmt.Errorf("invalid policy_identifiers: %v", err)
					return
				}
				out = append(out, string(text))
			}
			*dst = out
			return
		}
	}
	if l, isList := v.([]string); isList {
		*dst = append([]string{}, l...)
	}
}

// roleFieldSchemas declares every native role input field with its native type and default,
// plus this engine's ca, template, metadata and allow_request_overrides.
func roleFieldSchemas() map[string]*framework.FieldSchema {
	f := func(t framework.FieldType, def interface{}, desc string) *framework.FieldSchema {
		return &framework.FieldSchema{Type: t, Default: def, Description: desc}
	}
	const (
		boolT     = framework.TypeBool
		listT     = framework.TypeCommaStringSlice
		stringT   = framework.TypeString
		durationT = framework.TypeDurationSecond
		intT      = framework.TypeInt
	)
	return map[string]*framework.FieldSchema{
		"name":    f(stringT, nil, "Name of the role."),
		"backend": f(stringT, nil, "Backend type (accepted for compatibility, ignored)."),

		"ttl":                 f(durationT, nil, "Validity requested when a request names none (the CA's template decides)."),
		"max_ttl":             f(durationT, nil, "Longest validity a request may ask for (the CA's template decides)."),
		"not_before_duration": f(durationT, 30, "How far NotBefore is back-dated (the CA's template decides)."),
		"not_after":           f(stringT, nil, "Fixed NotAfter, RFC 3339 (the CA's template decides)."),

		"allow_localhost":             f(boolT, true, `Allow "localhost" and "localdomain" whatever allowed_domains says.`),
		"allowed_domains":             f(listT, nil, `Domains names must belong to; "*" allows any name.`),
		"allowed_domains_template":    f(boolT, false, "Identity templating of allowed_domains (entries are compared literally here)."),
		"allow_bare_domains":          f(boolT, false, "Allow the allowed domains themselves."),
		"allow_subdomains":            f(boolT, false, "Allow subdomains (and wildcards) of the allowed domains."),
		"allow_glob_domains":          f(boolT, false, "Treat allowed_domains entries with * as globs."),
		"allow_wildcard_certificates": f(boolT, true, "Allow wildcard names (RFC 6125)."),
		"allow_any_name":              f(boolT, false, "Allow any name."),
		"enforce_hostnames":           f(boolT, true, "Only hostname-shaped names."),
		"allow_ip_sans":               f(boolT, true, "Allow IP SANs."),
		"allowed_uri_sans":            f(listT, nil, "Globs URI SANs must match."),
		"allowed_uri_sans_template":   f(boolT, false, "Identity templating of allowed_uri_sans (compared literally here)."),
		"allowed_other_sans":          f(listT, nil, `Allowed other SANs, "<oid>;UTF8:<glob>", or "*".`),
		"allowed_serial_numbers":      f(listT, nil, "Allowed subject serial numbers (globs)."),
		"allowed_user_ids":            f(listT, nil, "Allowed user ids (globs)."),

		"server_flag":           f(boolT, true, "serverAuth EKU (the CA's template decides)."),
		"client_flag":           f(boolT, true, "clientAuth EKU (the CA's template decides)."),
		"code_signing_flag":     f(boolT, false, "codeSigning EKU (the CA's template decides)."),
		"email_protection_flag": f(boolT, false, "emailProtection EKU (the CA's template decides)."),

		"key_type":           f(stringT, "rsa", `Key type: "rsa", "ec", "ed25519", or "any" (sign only).`),
		"key_bits":           f(intT, 0, "Key size; 0 means the type's default."),
		"signature_bits":     f(intT, 0, "Signature hash size (the CA decides)."),
		"use_pss":            f(boolT, false, "RSA-PSS signatures (the CA decides)."),
		"key_usage":          f(listT, []string{"DigitalSignature", "KeyAgreement", "KeyEncipherment"}, "Key usages (the CA's template decides)."),
		"ext_key_usage":      f(listT, []string{}, "Extended key usages (the CA's template decides)."),
		"ext_key_usage_oids": f(listT, nil, "Extended key usage OIDs (the CA's template decides)."),

		"ou":             f(listT, nil, "Subject OU."),
		"organization":   f(listT, nil, "Subject O."),
		"country":        f(listT, nil, "Subject C."),
		"locality":       f(listT, nil, "Subject L."),
		"province":       f(listT, nil, "Subject ST."),
		"street_address": f(listT, nil, "Subject street address."),
		"postal_code":    f(listT, nil, "Subject postal code."),

		"use_csr_common_name":  f(boolT, true, "On sign, take the CN from the CSR."),
		"use_csr_sans":         f(boolT, true, "On sign, take the SANs from the CSR."),
		"serial_number_source": f(stringT, "json-csr", `Where the subject serial number comes from: "json-csr" or "json".`),
		"require_cn":           f(boolT, true, "Require a common name."),
		"cn_validations":       f(listT, []string{"email", "hostname"}, `CN checks: "email", "hostname", or "disabled".`),
		"policy_identifiers":   f(listT, nil, "Certificate policy OIDs or JSON policy objects (the CA's template decides)."),

		"basic_constraints_valid_for_non_ca": f(boolT, false, "Basic constraints on leaf certificates (the CA's template decides)."),

		"issuer_ref":     f(stringT, roleDefaultIssuerRef, "Issuer used by the role's legacy paths."),
		"no_store":       f(boolT, false, "Do not store issued certificates."),
		"generate_lease": f(boolT, false, "Attach a lease to issued certificates."),

		"ca":                      f(stringT, nil, "CA that issues this role's certificates (default: the request's, then the config's)."),
		"template":                f(stringT, nil, "CA certificate template for this role (default: the request's, then the config's)."),
		"metadata":                f(stringT, nil, "Metadata attached to this role's certificates, as a JSON object."),
		"allow_request_overrides": f(boolT, false, "Let requests name a CA or template other than the role's."),
		"pending_ttl":             f(durationT, int(defaultPendingTTL/time.Second), "How long a request the CA holds for approval is remembered, with the key generated for it, so a retry receives the certificate once approved."),
		"metadata_from_request":   f(stringT, nil, `CA metadata fields filled from the Vault request, as a JSON object of field name to source: `+metadataSourcesHelp+`.`),
	}
}
