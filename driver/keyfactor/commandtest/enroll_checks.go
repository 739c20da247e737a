package commandtest

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// checkKeyPolicy applies the template's key type and minimum size. Inferred: keys AD CS
// cannot issue for (Ed25519) are rejected like a policy violation.
func checkKeyPolicy(csr *x509.CertificateRequest, t *templateEntry) *badRequest {
	switch pub := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if t.keyType == "ECC" {
			return invalid(codeKeyNotAllowed, "The template '%s' requires an ECC key; the CSR has an RSA key.", t.commonName)
		}
		if bits := pub.N.BitLen(); bits < t.minKeySize {
			return invalid(codeKeyNotAllowed, "The CSR's RSA key is %d bits; the template '%s' requires at least %d.", bits, t.commonName, t.minKeySize)
		}
	case *ecdsa.PublicKey:
		if t.keyType == "RSA" {
			return invalid(codeKeyNotAllowed, "The template '%s' requires an RSA key; the CSR has an ECC key.", t.commonName)
		}
	default:
		return invalid(codeKeyNotAllowed, "The CSR's key algorithm %s is not supported.", csr.PublicKeyAlgorithm)
	}
	return nil
}

// validateMetadata checks names exist and values suit their types; it returns the values keyed
// by each field's canonical name. Required fields must be present.
func (s *Server) validateMetadata(in map[string]any) (map[string]string, *badRequest) {
	out := map[string]string{}
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic first error
	for _, name := range names {
		field := s.store.findMetadata(name)
		if field == nil {
			return nil, invalid(codeInvalidMetadata, "Metadata field '%s' does not exist.", name)
		}
		value, ok := metadataString(in[name])
		if !ok {
			return nil, invalid(codeInvalidMetadata, "Metadata field '%s': the value must be a string, number or boolean.", field.name)
		}
		if value == "" {
			continue
		}
		if bad := checkMetadataValue(field, value); bad != nil {
			return nil, bad
		}
		out[field.name] = value
	}
	for _, field := range s.store.metadata {
		if _, ok := out[field.name]; field.required && !ok {
			return nil, invalid(codeInvalidMetadata, "Metadata field '%s' is required.", field.name)
		}
	}
	return out, nil
}

func metadataString(v any) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "", true
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case json.Number:
		return t.String(), true
	}
	return "", false
}

func checkMetadataValue(field *metadataEntry, value string) *badRequest {
	switch field.dataType {
	case 2: // Integer
		if _, err := strconv.ParseInt(value, 10, 64); err != nil {
			return invalid(codeInvalidMetadata, "Metadata field '%s' must be an integer.", field.name)
		}
	case 3: // Date
		if _, ok := parseLenientTime(value); !ok {
			return invalid(codeInvalidMetadata, "Metadata field '%s' must be a date.", field.name)
		}
	case 4: // Boolean
		if _, err := strconv.ParseBool(value); err != nil {
			return invalid(codeInvalidMetadata, "Metadata field '%s' must be true or false.", field.name)
		}
	case 5: // MultipleChoice
		for _, opt := range strings.Split(field.options, ",") {
			if strings.EqualFold(strings.TrimSpace(opt), value) {
				return nil
			}
		}
		return invalid(codeInvalidMetadata, "Metadata field '%s' must be one of: %s.", field.name, field.options)
	case 7: // Email
		if _, err := mail.ParseAddress(value); err != nil {
			return invalid(codeInvalidMetadata, "Metadata field '%s' must be an email address.", field.name)
		}
	}
	return nil
}

// sanKeys are the SAN type keys Command documents; the simulator issues the common ones and
// rejects the exotic ones clearly rather than dropping them.
var sanKeys = map[string]bool{
	"dns": true, "ip": true, "ip4": true, "ip6": true, "uri": true, "rfc822": true,
	"other": false, "x400": false, "directory": false, "ediparty": false, "registeredid": false,
	"ms_ntprincipalname": false, "ms_ntdsreplication": false,
}

// mergeSANs combines the CSR's SANs with those in the request body, without duplicates.
func mergeSANs(csr *x509.CertificateRequest, sans map[string][]string) (leafRequest, *badRequest) {
	leaf := leafRequest{csr: csr}
	seen := map[string]bool{}
	addDNS := func(v string) {
		if key := "dns:" + strings.ToLower(v); !seen[key] {
			seen[key] = true
			leaf.dnsNames = append(leaf.dnsNames, v)
		}
	}
	addIP := func(ip net.IP) {
		if key := "ip:" + ip.String(); !seen[key] {
			seen[key] = true
			leaf.ips = append(leaf.ips, ip)
		}
	}
	addURI := func(u *url.URL) {
		if key := "uri:" + u.String(); !seen[key] {
			seen[key] = true
			leaf.uris = append(leaf.uris, u)
		}
	}
	addEmail := func(v string) {
		if key := "email:" + strings.ToLower(v); !seen[key] {
			seen[key] = true
			leaf.emails = append(leaf.emails, v)
		}
	}
	for _, v := range csr.DNSNames {
		addDNS(v)
	}
	for _, v := range csr.IPAddresses {
		addIP(v)
	}
	for _, v := range csr.URIs {
		addURI(v)
	}
	for _, v := range csr.EmailAddresses {
		addEmail(v)
	}
	keys := make([]string, 0, len(sans))
	for k := range sans {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, rawKey := range keys {
		key := strings.ToLower(strings.TrimSpace(rawKey))
		supported, known := sanKeys[key]
		if !known {
			return leaf, invalid(codeInvalidSAN, "SANs: '%s' is not a SAN type. Use dns, ip, ip4, ip6, uri or rfc822.", rawKey)
		}
		if !supported {
			return leaf, invalid(codeInvalidSAN, "SANs: the SAN type '%s' is not supported by this certificate authority.", rawKey)
		}
		for _, v := range sans[rawKey] {
			v = strings.TrimSpace(v)
			if v == "" {
				return leaf, invalid(codeInvalidSAN, "SANs: '%s' contains an empty value.", rawKey)
			}
			if !printableASCII(v) {
				// X.509 SANs are IA5String: internationalized names must arrive in ASCII form.
				return leaf, invalid(codeInvalidSAN, "SANs: '%s' must be printable ASCII without spaces.", v)
			}
			switch key {
			case "dns":
				addDNS(v)
			case "ip", "ip4", "ip6":
				ip := net.ParseIP(v)
				if ip == nil || (key == "ip4" && ip.To4() == nil) || (key == "ip6" && ip.To4() != nil) {
					return leaf, invalid(codeInvalidSAN, "SANs: '%s' is not a valid %s address.", v, key)
				}
				addIP(ip)
			case "uri":
				u, err := url.Parse(v)
				if err != nil || u.Scheme == "" {
					return leaf, invalid(codeInvalidSAN, "SANs: '%s' is not an absolute URI.", v)
				}
				addURI(u)
			case "rfc822":
				if _, err := mail.ParseAddress(v); err != nil {
					return leaf, invalid(codeInvalidSAN, "SANs: '%s' is not an email address.", v)
				}
				addEmail(v)
			}
		}
	}
	return leaf, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
