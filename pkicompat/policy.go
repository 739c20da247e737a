package pkicompat

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/hashicorp/vault/sdk/helper/certutil"
)

// subjectRequest is what a caller asked to appear in a certificate: the request fields of
// issue/sign (already split into lists) and, on sign paths, the parsed CSR.
type subjectRequest struct {
	CommonName string
	// AltNames holds alt_names (and the older plugin's dns_sans), split on commas.
	AltNames  []string
	IPSANs    []string
	URISANs   []string
	OtherSANs []string // "<oid>;UTF8:<value>"
	UserIDs   []string
	// SerialNumber is the subject serialNumber RDN, not the certificate serial.
	SerialNumber      string
	ExcludeCNFromSANs bool
	// CSR is set on sign paths; the role's use_csr_common_name / use_csr_sans decide which of
	// its names are taken instead of the request's. Nil on issue.
	CSR *x509.CertificateRequest
}

// approvedSubject is the subject and SANs the role allows, ready to be placed into a CSR.
type approvedSubject struct {
	// Subject carries the CN, the serialNumber RDN, the role's ou/organization/country/locality/
	// province/street_address/postal_code, and user ids as UID attributes in ExtraNames.
	Subject pkix.Name
	// DNSNames and EmailAddresses are sorted and deduplicated; the CN is included unless it was
	// excluded or is not hostname-shaped, as native does.
	DNSNames       []string
	EmailAddresses []string
	IPAddresses    []net.IP
	URIs           []*url.URL
	// OtherSANs maps an OID (dotted text) to its UTF-8 values: the shape
	// certutil.HandleOtherSANs takes to build the subjectAltName extension with otherName entries.
	OtherSANs map[string][]string
	// Warnings are native's use_csr_* warnings, to be returned with the certificate.
	Warnings []string
}

// The texts of native PKI's refusals, kept identical so callers that match on them keep working.
const (
	errCNRequired = `the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false`
	warnCSRCN     = `the common_name field was provided but the role is set with "use_csr_common_name" set to true`
	warnCSRSANs   = `the alt_names field was provided but the role is set with "use_csr_sans" set to true`
)

// approveSubject applies the role's name policy to a request with native's algorithm and order
// of checks. Every refusal is a *ValidationError with native's text.
func (r *roleEntry) approveSubject(req *subjectRequest) (*approvedSubject, error) {
	if req == nil {
		return nil, Invalid("no certificate request")
	}
	csr := req.CSR
	fromCSRNames := csr != nil && r.UseCSRSANs
	out := &approvedSubject{}
	if csr != nil && r.UseCSRCommonName && req.CommonName != "" {
		out.Warnings = append(out.Warnings, warnCSRCN)
	}
	if fromCSRNames && len(req.AltNames) > 0 {
		out.Warnings = append(out.Warnings, warnCSRSANs)
	}

	cn := ""
	if csr != nil && r.UseCSRCommonName {
		cn = csr.Subject.CommonName
	}
	if cn == "" {
		cn = req.CommonName
		if cn == "" && r.RequireCN {
			return nil, Invalid("%s", errCNRequired)
		}
	}

	serial, err := r.subjectSerialNumber(req)
	if err != nil {
		return nil, err
	}

	var dnsNames, emails []string
	if fromCSRNames {
		dnsNames = append(dnsNames, csr.DNSNames...)
		emails = append(emails, csr.EmailAddresses...)
	}
	if cn != "" && !req.ExcludeCNFromSANs {
		if dnsNames, emails, err = classifyName(cn, dnsNames, emails); err != nil {
			return nil, err
		}
	}
	if !fromCSRNames {
		for _, alt := range uniqueSortedNames(req.AltNames) {
			if dnsNames, emails, err = classifyName(alt, dnsNames, emails); err != nil {
				return nil, err
			}
		}
	}

	// The CN is checked on its own even when it is excluded from the SANs.
	if cn != "" && !r.commonNameAllowed(cn) {
		return nil, Invalid("common name %s not allowed by this role", cn)
	}
	if serial != "" && !r.serialNumberAllowed(serial) {
		return nil, Invalid("serial_number %s not allowed by this role", serial)
	}
	if bad := r.firstRefusedName(dnsNames); bad != "" {
		return nil, Invalid("subject alternate name %s not allowed by this role", bad)
	}
	if bad := r.firstRefusedName(emails); bad != "" {
		return nil, Invalid("email address %s not allowed by this role", bad)
	}

	if out.OtherSANs, err = r.approveOtherSANs(req, fromCSRNames); err != nil {
		return nil, err
	}
	if out.IPAddresses, err = r.approveIPSANs(req, fromCSRNames); err != nil {
		return nil, err
	}
	if out.URIs, err = r.approveURISANs(req, fromCSRNames); err != nil {
		return nil, err
	}

	out.Subject = pkix.Name{
		CommonName:         cn,
		SerialNumber:       serial,
		Country:            uniqueNamesInOrder(r.Country),
		Organization:       uniqueNamesInOrder(r.Organization),
		OrganizationalUnit: uniqueNamesInOrder(r.OU),
		Locality:           uniqueNamesInOrder(r.Locality),
		Province:           uniqueNamesInOrder(r.Province),
		StreetAddress:      uniqueNamesInOrder(r.StreetAddress),
		PostalCode:         uniqueNamesInOrder(r.PostalCode),
	}
	userIDs, err := r.approveUserIDs(req)
	if err != nil {
		return nil, err
	}
	for _, id := range userIDs {
		out.Subject.ExtraNames = append(out.Subject.ExtraNames, pkix.AttributeTypeAndValue{
			Type: certutil.SubjectPilotUserIDAttributeOID, Value: id,
		})
	}

	out.DNSNames = uniqueSortedNames(dnsNames)
	out.EmailAddresses = uniqueSortedNames(emails)
	return out, nil
}

// classifyName files one CN or alt name: with "@" it is an e-mail address; otherwise it is converted
// to ASCII and kept as a DNS name only if it is hostname-shaped. Names that are neither vanish
// silently, as in native ("not a host" in alt_names is dropped, not refused).
func classifyName(name string, dnsNames, emails []string) ([]string, []string, error) {
	if strings.Contains(name, "@") {
		return dnsNames, append(emails, name), nil
	}
	ascii, err := toASCIIHostname(name)
	if err != nil {
		return nil, nil, Invalid("%s", err.Error())
	}
	if hostnamePattern.MatchString(ascii) {
		dnsNames = append(dnsNames, ascii)
	}
	return dnsNames, emails, nil
}

// subjectSerialNumber picks the serialNumber RDN per serial_number_source: the request's value,
// or with "json-csr" (the default) the CSR's when the request gives none.
func (r *roleEntry) subjectSerialNumber(req *subjectRequest) (string, error) {
	serial := req.SerialNumber
	switch r.SerialNumberSource {
	case "", "json-csr":
		if serial == "" && req.CSR != nil {
			serial = req.CSR.Subject.SerialNumber
		}
	case "json":
	default:
		return "", Invalid("invalid value for serial_number_source")
	}
	return serial, nil
}

// serialNumberAllowed: an exact entry of allowed_serial_numbers, or a glob entry that matches.
func (r *roleEntry) serialNumberAllowed(serial string) bool {
	for _, allowed := range r.AllowedSerialNumbers {
		if allowed == "" {
			continue
		}
		if allowed == serial || (strings.Contains(allowed, "*") && globMatch(allowed, serial)) {
			return true
		}
	}
	return false
}

// approveUserIDs checks user ids (from the request, else from the CSR's UID attributes) against
// allowed_user_ids: case-insensitive exact entries or glob entries; an empty list allows none.
func (r *roleEntry) approveUserIDs(req *subjectRequest) ([]string, error) {
	ids := req.UserIDs
	if len(ids) == 0 && req.CSR != nil {
		for _, attr := range req.CSR.Subject.Names {
			if !attr.Type.Equal(certutil.SubjectPilotUserIDAttributeOID) {
				continue
			}
			switch v := attr.Value.(type) {
			case string:
				ids = append(ids, v)
			case []byte:
				ids = append(ids, string(v))
			default:
				return nil, Invalid("unknown type for user_id attribute in CSR's Subject")
			}
		}
	}
	for _, id := range ids {
		if !r.userIDAllowed(id) {
			return nil, Invalid("user_id %v is not allowed by this role", id)
		}
	}
	return ids, nil
}

func (r *roleEntry) userIDAllowed(id string) bool {
	for _, allowed := range r.AllowedUserIDs {
		if strings.EqualFold(allowed, id) {
			return true
		}
	}
	for _, allowed := range r.AllowedUserIDs {
		if allowed != "" && strings.Contains(allowed, "*") && globMatch(allowed, id) {
			return true
		}
	}
	return false
}

// approveIPSANs: IP SANs need allow_ip_sans; request values must parse.
func (r *roleEntry) approveIPSANs(req *subjectRequest, fromCSR bool) ([]net.IP, error) {
	ips := []net.IP{}
	if fromCSR {
		if len(req.CSR.IPAddresses) == 0 {
			return ips, nil
		}
		if !r.AllowIPSANs {
			return nil, Invalid("IP Subject Alternative Names are not allowed in this role, but was provided some via CSR")
		}
		return append(ips, req.CSR.IPAddresses...), nil
	}
	if len(req.IPSANs) == 0 {
		return ips, nil
	}
	if !r.AllowIPSANs {
		return nil, Invalid("IP Subject Alternative Names are not allowed in this role, but was provided %s", req.IPSANs)
	}
	for _, v := range req.IPSANs {
		ip := net.ParseIP(v)
		if ip == nil {
			return nil, Invalid("the value %q is not a valid IP address", v)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

// approveURISANs: each URI must glob-match an allowed_uri_sans entry; an empty list allows none.
func (r *roleEntry) approveURISANs(req *subjectRequest, fromCSR bool) ([]*url.URL, error) {
	uris := []*url.URL{}
	if fromCSR {
		if len(req.CSR.URIs) == 0 {
			return uris, nil
		}
		if len(r.AllowedURISANs) == 0 {
			return nil, Invalid("URI Subject Alternative Names are not allowed in this role, but were provided via CSR")
		}
		for _, u := range req.CSR.URIs {
			if !r.uriAllowed(u.String()) {
				return nil, Invalid("URI Subject Alternative Names were provided via CSR which are not valid for this role")
			}
			uris = append(uris, u)
		}
		return uris, nil
	}
	if len(req.URISANs) == 0 {
		return uris, nil
	}
	if len(r.AllowedURISANs) == 0 {
		return nil, Invalid("URI Subject Alternative Names are not allowed in this role, but were provided via the API")
	}
	for _, raw := range req.URISANs {
		if !r.uriAllowed(raw) {
			return nil, Invalid("URI Subject Alternative Names were provided via the API which are not valid for this role")
		}
		u, err := url.Parse(raw)
		if err != nil || u == nil {
			return nil, Invalid("the provided URI Subject Alternative Name %q is not a valid URI", raw)
		}
		uris = append(uris, u)
	}
	return uris, nil
}

func (r *roleEntry) uriAllowed(uri string) bool {
	for _, allowed := range r.AllowedURISANs {
		if globMatch(allowed, uri) {
			return true
		}
	}
	return false
}

// approveOtherSANs parses other SANs ("<oid>;UTF8:<value>", from the request and, with
// use_csr_sans, the CSR) and checks them against allowed_other_sans ("*" = any).
func (r *roleEntry) approveOtherSANs(req *subjectRequest, fromCSR bool) (map[string][]string, error) {
	input := append([]string(nil), req.OtherSANs...)
	if fromCSR && len(req.CSR.Extensions) > 0 {
		others, err := certutil.GetOtherSANsFromX509Extensions(req.CSR.Extensions)
		if err != nil {
			return nil, Invalid("could not parse requested other SAN: %v", err)
		}
		for _, o := range others {
			input = append(input, o.String())
		}
	}
	if len(input) == 0 {
		return nil, nil
	}
	requested, err := parseOtherSANs(input)
	if err != nil {
		return nil, Invalid("could not parse requested other SAN: %v", err)
	}
	if len(r.AllowedOtherSANs) == 1 && r.AllowedOtherSANs[0] == "*" {
		return requested, nil
	}
	allowed, err := parseOtherSANs(r.AllowedOtherSANs)
	if err != nil {
		return nil, Invalid("error parsing role's allowed SANs: %v", err)
	}
	// Checked in the request's order so the same request always names the same refusal.
	for _, raw := range input {
		oid, value := otherSANParts(raw)
		patterns, ok := allowed[oid]
		if !ok {
			return nil, Invalid("other SAN OID %s not allowed by this role", oid)
		}
		matched := false
		for _, p := range patterns {
			if globMatch(p, value) {
				matched = true
				break
			}
		}
		if !matched {
			return nil, Invalid("other SAN %s not allowed for OID %s by this role", value, oid)
		}
	}
	return requested, nil
}

// parseOtherSANs reads "<oid>;<type>:<value>" entries where type is UTF8 (any case, with or
// without hyphen) into OID → values.
func parseOtherSANs(entries []string) (map[string][]string, error) {
	result := map[string][]string{}
	for _, e := range entries {
		oid, typed, ok := strings.Cut(e, ";")
		if !ok {
			return nil, fmt.Errorf("expected a semicolon in other SAN %q", e)
		}
		kind, value, ok := strings.Cut(typed, ":")
		if !ok {
			return nil, fmt.Errorf("expected a colon in other SAN %q", e)
		}
		if !strings.EqualFold(kind, "utf8") && !strings.EqualFold(kind, "utf-8") {
			return nil, fmt.Errorf("only utf8 other SANs are supported; found non-supported type in other SAN %q", e)
		}
		result[oid] = append(result[oid], value)
	}
	return result, nil
}

// otherSANParts splits an entry already accepted by parseOtherSANs.
func otherSANParts(entry string) (oid, value string) {
	oid, typed, _ := strings.Cut(entry, ";")
	_, value, _ = strings.Cut(typed, ":")
	return oid, value
}

// uniqueSortedNames trims, drops empty entries and duplicates, and sorts.
func uniqueSortedNames(items []string) []string {
	out := uniqueNamesInOrder(items)
	sort.Strings(out)
	return out
}

// uniqueNamesInOrder trims, drops empty entries and duplicates, and keeps the first-seen order.
func uniqueNamesInOrder(items []string) []string {
	seen := make(map[string]struct{}, len(items))
	out := make([]string, 0, len(items))
	for _, it := range items {
		it = strings.TrimSpace(it)
		if _, dup := seen[it]; it == "" || dup {
			continue
		}
		seen[it] = struct{}{}
		out = append(out, it)
	}
	return out
}
