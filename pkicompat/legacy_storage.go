package pkicompat

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-secure-stdlib/parseutil"
	"github.com/hashicorp/vault/sdk/helper/certutil"
	"github.com/hashicorp/vault/sdk/logical"
)

// The storage layout of Keyfactor's older Vault plugin (hashicorp-vault-secretsengine v1.4.1),
// which users upgrade from in place: same mount, same storage, this binary. Facts read in its
// public source (backend.go, path_roles.go, path_certs.go, cert_util.go, path_config.go):
//
//   - config          JSON of the connection settings, under the same key and with the same field
//     names this engine's Keyfactor driver reads, so it loads as it is.
//   - role/<name>     JSON of its role struct: "ttl"/"max_ttl" hold duration strings (usually
//     empty) next to "ttl_duration"/"max_ttl_duration" (nanoseconds), the domains are in
//     "allowed_domains_list" with an older comma-separated "allowed_domains" string, key usages in
//     "key_usage_list", extended key usages in "extended_key_usage_list", OU and organization in
//     "ou_list"/"organization_list" (older strings under the native names), "lease"/"lease_max"
//     and "allow_base_domain"/"allowed_base_domain" from still older versions.
//   - certs/<serial>  the issued certificate as raw PEM bytes (not JSON), keyed by Command's serial
//     lower-cased (Command answers it without separators); older entries use ':' separators.
//   - kfId/<serial>   Command's certificate id (KeyfactorID) as a bare JSON number.
//   - revoked/<serial> JSON {certificate_bytes, revocation_time (unix), revocation_time_utc};
//     certificate_bytes is the certs/ entry's value, so PEM bytes (base64 in the JSON).
//   - ca/<name>, ca/<name>_chain, ca_chain/  cached CA certificates, fetched again on demand.
//
// The keys are declared in storage.go.

// legacyRole is a role as the older plugin stored it. Only the fields that carry meaning are
// read; its never-used internal fields (MaxPathLength, AllowExpirationPastCA) are ignored.
type legacyRole struct {
	Lease       string        `json:"lease"`
	LeaseMax    string        `json:"lease_max"`
	TTLText     string        `json:"ttl"`
	MaxTTLText  string        `json:"max_ttl"`
	TTL         time.Duration `json:"ttl_duration"`
	MaxTTL      time.Duration `json:"max_ttl_duration"`
	NotBefore   time.Duration `json:"not_before_duration"`
	DomainsText string        `json:"allowed_domains"`
	Domains     []string      `json:"allowed_domains_list"`
	BaseDomain  string        `json:"allowed_base_domain"`
	AllowBase   bool          `json:"allow_base_domain"`

	AllowLocalhost         bool `json:"allow_localhost"`
	AllowedDomainsTemplate bool `json:"allowed_domains_template"`
	AllowBareDomains       bool `json:"allow_bare_domains"`
	AllowTokenDisplayName  bool `json:"allow_token_displayname"`
	AllowSubdomains        bool `json:"allow_subdomains"`
	AllowGlobDomains       bool `json:"allow_glob_domains"`
	AllowAnyName           bool `json:"allow_any_name"`
	EnforceHostnames       bool `json:"enforce_hostnames"`
	AllowIPSANs            bool `json:"allow_ip_sans"`
	ServerFlag             bool `json:"server_flag"`
	ClientFlag             bool `json:"client_flag"`
	CodeSigningFlag        bool `json:"code_signing_flag"`
	EmailProtectionFlag    bool `json:"email_protection_flag"`
	UseCSRCommonName       bool `json:"use_csr_common_name"`
	UseCSRSANs             bool `json:"use_csr_sans"`
	NoStore                bool `json:"no_store"`
	RequireCN              bool `json:"require_cn"`
	BasicConstraints       bool `json:"basic_constraints_valid_for_non_ca"`

	KeyType string `json:"key_type"`
	KeyBits int    `json:"key_bits"`

	KeyUsageText     string   `json:"key_usage"`
	KeyUsage         []string `json:"key_usage_list"`
	ExtKeyUsage      []string `json:"extended_key_usage_list"`
	ExtKeyUsageOIDs  []string `json:"ext_key_usage_oids"`
	OUText           string   `json:"ou"`
	OU               []string `json:"ou_list"`
	OrganizationText string   `json:"organization"`
	Organization     []string `json:"organization_list"`
	Country          []string `json:"country"`
	Locality         []string `json:"locality"`
	Province         []string `json:"province"`
	StreetAddress    []string `json:"street_address"`
	PostalCode       []string `json:"postal_code"`

	AllowedOtherSANs     []string `json:"allowed_other_sans"`
	AllowedSerialNumbers []string `json:"allowed_serial_numbers"`
	AllowedURISANs       []string `json:"allowed_uri_sans"`
	PolicyIdentifiers    []string `json:"policy_identifiers"`

	GenerateLease *bool `json:"generate_lease"`
}

// legacyRoleMarkers are keys only the older plugin's role entries have (it always writes them);
// this engine's roles never do.
var legacyRoleMarkers = []string{"allowed_domains_list", "max_ttl_duration", "ttl_duration", "key_usage_list"}

// isLegacyRoleJSON reports whether a stored role is in the older plugin's shape.
func isLegacyRoleJSON(raw []byte) bool {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return false
	}
	for _, k := range legacyRoleMarkers {
		if _, ok := keys[k]; ok {
			return true
		}
	}
	return false
}

// legacyRoleAt reads the role stored at key if it is in the older plugin's shape; nil otherwise
// (and on any error, which the caller's own read reports).
func legacyRoleAt(ctx context.Context, s logical.Storage, key string) *roleEntry {
	entry, err := s.Get(ctx, key)
	if err != nil || entry == nil || !isLegacyRoleJSON(entry.Value) {
		return nil
	}
	role, _, err := decodeLegacyRole(entry.Value)
	if err != nil {
		return nil
	}
	return role
}

// decodeLegacyRole reads a role the older plugin stored and rewrites it in this engine's form
// with the meaning it had there. notes say what had to be interpreted, for the migration log.
func decodeLegacyRole(raw []byte) (role *roleEntry, notes []string, err error) {
	var l legacyRole
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, nil, fmt.Errorf("decoding a role of the older Keyfactor plugin: %w", err)
	}
	r := newDefaultRole()

	// Durations: the number wins, as the older plugin's own upgrade read the string only when
	// the number was unset; "lease"/"lease_max" are older spellings of the strings.
	var ttlNote, maxNote string
	r.TTL, ttlNote = legacyDuration("ttl", l.TTL, l.TTLText, l.Lease)
	r.MaxTTL, maxNote = legacyDuration("max_ttl", l.MaxTTL, l.MaxTTLText, l.LeaseMax)
	notes = appendNonEmpty(notes, ttlNote, maxNote)
	r.NotBeforeDuration = l.NotBefore

	// Domains: the list, the older comma-separated string and the still older single base
	// domain all named allowed domains there; together they are this engine's list.
	r.AllowedDomains = mergeLegacyLists(splitLegacyList(l.DomainsText), l.Domains, splitLegacyList(l.BaseDomain))
	r.AllowBareDomains = l.AllowBareDomains || l.AllowBase
	if !r.AllowBareDomains && len(r.AllowedDomains) > 0 {
		// The older plugin allowed a listed domain itself whatever allow_bare_domains said (its
		// check accepted a name equal to an allowed domain), so names it issued for keep issuing.
		r.AllowBareDomains = true
		notes = append(notes, "allow_bare_domains set to true: the older plugin always allowed the listed domains themselves")
	}

	r.AllowLocalhost = l.AllowLocalhost
	r.AllowedDomainsTemplate = l.AllowedDomainsTemplate
	r.AllowTokenDisplayName = l.AllowTokenDisplayName
	r.AllowSubdomains = l.AllowSubdomains
	r.AllowGlobDomains = l.AllowGlobDomains
	r.AllowAnyName = l.AllowAnyName
	r.EnforceHostnames = l.EnforceHostnames
	r.AllowIPSANs = l.AllowIPSANs
	r.ServerFlag = l.ServerFlag
	r.ClientFlag = l.ClientFlag
	r.CodeSigningFlag = l.CodeSigningFlag
	r.EmailProtectionFlag = l.EmailProtectionFlag
	r.UseCSRCommonName = l.UseCSRCommonName
	r.UseCSRSANs = l.UseCSRSANs
	r.NoStore = l.NoStore
	r.RequireCN = l.RequireCN
	r.BasicConstraintsValidForNonCA = l.BasicConstraints
	if l.KeyType != "" {
		r.KeyType = l.KeyType
	}
	r.KeyBits = l.KeyBits

	r.KeyUsage = mergeLegacyLists(l.KeyUsage, splitLegacyList(l.KeyUsageText))
	r.ExtKeyUsage = mergeLegacyLists(l.ExtKeyUsage)
	r.ExtKeyUsageOIDs = mergeLegacyLists(l.ExtKeyUsageOIDs)
	r.OU = mergeLegacyLists(l.OU, splitLegacyList(l.OUText))
	r.Organization = mergeLegacyLists(l.Organization, splitLegacyList(l.OrganizationText))
	r.Country = mergeLegacyLists(l.Country)
	r.Locality = mergeLegacyLists(l.Locality)
	r.Province = mergeLegacyLists(l.Province)
	r.StreetAddress = mergeLegacyLists(l.StreetAddress)
	r.PostalCode = mergeLegacyLists(l.PostalCode)
	r.AllowedOtherSANs = mergeLegacyLists(l.AllowedOtherSANs)
	r.AllowedSerialNumbers = mergeLegacyLists(l.AllowedSerialNumbers)
	r.AllowedURISANs = mergeLegacyLists(l.AllowedURISANs)
	r.PolicyIdentifiers = mergeLegacyLists(l.PolicyIdentifiers)

	// The older plugin declared no secret type, so it never returned a lease whatever the role
	// said; turning leases on now would revoke certificates in Command when leases end.
	r.GenerateLease = roleBoolPtr(false)
	if l.GenerateLease != nil && *l.GenerateLease {
		notes = append(notes, "generate_lease set to false: the older plugin never created leases (write generate_lease=true to opt in)")
	}

	if err := r.validateAndNormalise(); err != nil {
		notes = append(notes, "stored although this engine would refuse it on write: "+err.Error())
	}
	return r, notes, nil
}

// legacyDuration reads one of the older plugin's durations: the number if set, else the string
// (then its older spelling). An unreadable string is left unset and noted, never fatal: the
// role must stay readable.
func legacyDuration(name string, d time.Duration, texts ...string) (time.Duration, string) {
	if d != 0 {
		return d, ""
	}
	for _, text := range texts {
		if strings.TrimSpace(text) == "" {
			continue
		}
		parsed, err := parseutil.ParseDurationSecond(text)
		if err != nil {
			return 0, fmt.Sprintf("%s %q is not a duration; left unset", name, text)
		}
		return parsed, ""
	}
	return 0, ""
}

// splitLegacyList splits the older plugin's comma-separated strings.
func splitLegacyList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// mergeLegacyLists joins lists in order, trimmed, without empty or repeated entries; never nil,
// so responses show [] as native does.
func mergeLegacyLists(lists ...[]string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, list := range lists {
		for _, v := range list {
			v = strings.TrimSpace(v)
			if v == "" || seen[v] {
				continue
			}
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func appendNonEmpty(list []string, values ...string) []string {
	for _, v := range values {
		if v != "" {
			list = append(list, v)
		}
	}
	return list
}

// isLegacyCertValue reports whether a certs/ entry is the older plugin's raw PEM rather than
// this engine's JSON record.
func isLegacyCertValue(value []byte) bool {
	trimmed := bytes.TrimSpace(value)
	return len(trimmed) > 0 && trimmed[0] != '{'
}

// parseLegacyCertificate reads the first certificate of PEM bytes (the older plugin kept
// whatever followed the BEGIN line, CRLF included) or, failing that, DER.
func parseLegacyCertificate(value []byte) (*x509.Certificate, error) {
	rest := value
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
		rest = next
	}
	if cert, err := x509.ParseCertificate(value); err == nil {
		return cert, nil
	}
	return nil, errors.New("no certificate found in the entry")
}

// parseLegacyKeyfactorID reads a kfId/ entry: a bare JSON number. It is decoded here rather than
// with StorageEntry.DecodeJSON, which takes values starting with '4' for compressed data (the
// older plugin could never revoke such certificates).
func parseLegacyKeyfactorID(value []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	var n json.Number
	if err := dec.Decode(&n); err != nil {
		return "", fmt.Errorf("certificate id %q is not a number", truncateForLog(value))
	}
	if i, err := n.Int64(); err == nil && i > 0 {
		return strconv.FormatInt(i, 10), nil
	}
	// JSON numbers written from a float64 (as the older plugin did) may carry an exponent.
	f, err := n.Float64()
	if err != nil || f <= 0 || f != float64(int64(f)) {
		return "", fmt.Errorf("certificate id %q is not a positive integer", n.String())
	}
	return strconv.FormatInt(int64(f), 10), nil
}

func truncateForLog(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "…"
	}
	return string(b)
}

// legacyRevocation is a revoked/ entry of the older plugin.
type legacyRevocation struct {
	CertificateBytes  []byte    `json:"certificate_bytes"`
	RevocationTime    int64     `json:"revocation_time"`
	RevocationTimeUTC time.Time `json:"revocation_time_utc"`
}

// decodeLegacyRevocation reads a revoked/ entry; ok is false for this engine's own markers.
func decodeLegacyRevocation(value []byte) (rev *legacyRevocation, ok bool, err error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(value, &keys); err != nil {
		return nil, false, fmt.Errorf("revocation entry is not JSON: %w", err)
	}
	if _, legacy := keys["certificate_bytes"]; !legacy {
		return nil, false, nil
	}
	rev = &legacyRevocation{}
	if err := json.Unmarshal(value, rev); err != nil {
		return nil, true, fmt.Errorf("revocation entry of the older plugin is unreadable: %w", err)
	}
	return rev, true, nil
}

// time is when the older plugin recorded the revocation.
func (r *legacyRevocation) time() time.Time {
	if !r.RevocationTimeUTC.IsZero() {
		return r.RevocationTimeUTC.UTC()
	}
	if r.RevocationTime > 0 {
		return time.Unix(r.RevocationTime, 0).UTC()
	}
	return time.Time{}
}

// canonicalStorageSerial is the storage key this engine uses for a serial in any of the older
// plugin's spellings (no separators, '-' or ':'): the serial's value, so leading zeros and
// separators do not matter. ok is false when the key is not hexadecimal.
func canonicalStorageSerial(key string) (string, bool) {
	hex := strings.NewReplacer(":", "", "-", "").Replace(strings.TrimSpace(key))
	n, ok := new(big.Int).SetString(hex, 16)
	if !ok || hex == "" {
		return "", false
	}
	return storageSerial(certutil.GetHexFormatted(n.Bytes(), ":")), true
}

// legacySerialSpellings are the keys the older plugin may have used for a certificate's serial:
// as Command answers it (no separators), with '-' and with ':'.
func legacySerialSpellings(cert *x509.Certificate) []string {
	b := cert.SerialNumber.Bytes()
	return []string{
		certutil.GetHexFormatted(b, ""),
		certutil.GetHexFormatted(b, "-"),
		certutil.GetHexFormatted(b, ":"),
	}
}
