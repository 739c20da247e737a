package keyfactor

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// Command writes distinguished names the .NET way (X500DistinguishedName.Name on Windows):
// "CN=Corp Issuing CA, DC=corp, DC=example, DC=com", "E=pki@example.com, CN=…, S=Ohio", unknown
// attributes as "OID.1.2.3=value", most specific RDN first, with or without a space after each
// comma. Go's pkix.Name.String prints DC and emailAddress as dotted OIDs with hex DER values
// and in the opposite order, so names are compared by attribute type and value, never as text.

// dnAttributeKeys maps the attribute keys of Windows X.500 name strings (Microsoft Learn,
// CertNameToStr) and of RFC 4514 to attribute types.
var dnAttributeKeys = map[string]string{
	"CN": "2.5.4.3", "SN": "2.5.4.4", "SURNAME": "2.5.4.4", "SERIALNUMBER": "2.5.4.5",
	"C": "2.5.4.6", "L": "2.5.4.7", "S": "2.5.4.8", "ST": "2.5.4.8", "STREET": "2.5.4.9",
	"O": "2.5.4.10", "OU": "2.5.4.11", "T": "2.5.4.12", "TITLE": "2.5.4.12",
	"POSTALCODE": "2.5.4.17", "G": "2.5.4.42", "GN": "2.5.4.42", "GIVENNAME": "2.5.4.42",
	"I": "2.5.4.43", "INITIALS": "2.5.4.43",
	"E": "1.2.840.113549.1.9.1", "EMAIL": "1.2.840.113549.1.9.1", "EMAILADDRESS": "1.2.840.113549.1.9.1",
	"DC": "0.9.2342.19200300.100.1.25", "UID": "0.9.2342.19200300.100.1.1",
}

// dnAttribute is one attribute of a name, reduced for comparison: its type as a dotted OID and
// its value case-folded with white space collapsed (AD CS and Command compare names that way).
type dnAttribute struct{ oid, value string }

func (a dnAttribute) String() string { return a.oid + "=" + a.value }

func comparableValue(v string) string {
	return strings.ToLower(strings.Join(strings.Fields(v), " "))
}

// nameAttributes reduces a parsed certificate name (all its attributes, DC and E included).
func nameAttributes(name pkix.Name) []dnAttribute {
	out := make([]dnAttribute, 0, len(name.Names))
	for _, atv := range name.Names {
		out = append(out, dnAttribute{oid: atv.Type.String(), value: comparableValue(fmt.Sprint(atv.Value))})
	}
	return sortedAttributes(out)
}

// parseDNText reduces a DN as text: .NET ("E=a@b, CN=x, OID.1.2.3=y", values optionally in
// double quotes with "" for a quote) or RFC 4514 / Go (backslash escapes, "1.2.3=#hex").
func parseDNText(dn string) ([]dnAttribute, bool) {
	var out []dnAttribute
	for _, part := range splitDN(dn) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		eq := strings.IndexByte(part, '=')
		if eq <= 0 {
			return nil, false
		}
		oid, ok := attributeOID(strings.TrimSpace(part[:eq]))
		if !ok {
			return nil, false
		}
		value, ok := dnValue(strings.TrimSpace(part[eq+1:]))
		if !ok {
			return nil, false
		}
		out = append(out, dnAttribute{oid: oid, value: comparableValue(value)})
	}
	return sortedAttributes(out), len(out) > 0
}

// splitDN splits at ',', ';' and '+' outside double quotes and not escaped by a backslash.
func splitDN(dn string) []string {
	var parts []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range dn {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ',' || r == ';' || r == '+'):
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	return append(parts, cur.String())
}

func attributeOID(key string) (string, bool) {
	if oid, ok := dnAttributeKeys[strings.ToUpper(key)]; ok {
		return oid, true
	}
	dotted := key
	if len(key) > 4 && strings.EqualFold(key[:4], "OID.") {
		dotted = key[4:]
	}
	for _, arc := range strings.Split(dotted, ".") {
		if arc == "" || strings.Trim(arc, "0123456789") != "" {
			return "", false
		}
	}
	return dotted, strings.Contains(dotted, ".")
}

// dnValue undoes .NET quoting, RFC 4514 backslash escapes, or a "#hex" DER value.
func dnValue(v string) (string, bool) {
	switch {
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		return strings.ReplaceAll(v[1:len(v)-1], `""`, `"`), true
	case strings.HasPrefix(v, "#"):
		der, err := hex.DecodeString(v[1:])
		if err != nil {
			return "", false
		}
		var raw asn1.RawValue
		if rest, err := asn1.Unmarshal(der, &raw); err != nil || len(rest) > 0 {
			return "", false
		}
		return string(raw.Bytes), true
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		i++
		if i+1 < len(v) && isHex(v[i]) && isHex(v[i+1]) {
			x, _ := hex.DecodeString(v[i : i+2])
			b.Write(x)
			i++
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String(), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func sortedAttributes(attrs []dnAttribute) []dnAttribute {
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].String() < attrs[j].String() })
	return attrs
}

// sameName reports whether Command's DN text names the same entity as a certificate name: the
// same attributes with the same values, in any order and any of the spellings above.
func sameName(commandDN string, name pkix.Name) bool {
	got, ok := parseDNText(commandDN)
	if !ok {
		return false
	}
	want := nameAttributes(name)
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
