package keyfactor

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

func TestSameName(t *testing.T) {
	dc := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	email := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	adcs := pkix.RDNSequence{
		{{Type: dc, Value: "com"}}, {{Type: dc, Value: "example"}}, {{Type: dc, Value: "corp"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "Corp Issuing CA"}},
	}
	withEmail := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "US"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 8}, Value: "Ohio"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Example, Inc."}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "Issuing"}},
		{{Type: email, Value: "pki@example.com"}},
	}
	name := func(seq pkix.RDNSequence) pkix.Name {
		var n pkix.Name
		n.FillFromRDNSequence(&seq)
		return n
	}
	cases := []struct {
		desc string
		dn   string
		name pkix.RDNSequence
		same bool
	}{
		{"AD CS, .NET with spaces (enrollment answer)", "CN=Corp Issuing CA, DC=corp, DC=example, DC=com", adcs, true},
		{"AD CS, .NET without spaces (GET)", "CN=Corp Issuing CA,DC=corp,DC=example,DC=com", adcs, true},
		{"AD CS, Go's String spelling", name(adcs).String(), adcs, true},
		{"AD CS, one DC missing", "CN=Corp Issuing CA, DC=corp, DC=example", adcs, false},
		{"AD CS, other domain", "CN=Corp Issuing CA, DC=corp, DC=example, DC=org", adcs, false},
		{"E= and S= and a quoted value", `E=pki@example.com, CN=Issuing, O="Example, Inc.", S=Ohio, C=US`, withEmail, true},
		{"E= lower case values", `E=PKI@Example.com,CN=issuing,O="Example, Inc.",S=ohio,C=us`, withEmail, true},
		{"RFC 4514 escapes", `CN=Issuing,O=Example\, Inc.,ST=Ohio,C=US,EMAILADDRESS=pki@example.com`, withEmail, true},
		{"OID.x key for e-mail", `OID.1.2.840.113549.1.9.1=pki@example.com, CN=Issuing, O="Example, Inc.", S=Ohio, C=US`, withEmail, true},
		{"e-mail missing", `CN=Issuing, O="Example, Inc.", S=Ohio, C=US`, withEmail, false},
		{"not a DN", "Issuing", withEmail, false},
		{"empty", "", withEmail, false},
	}
	for _, tc := range cases {
		if got := sameName(tc.dn, name(tc.name)); got != tc.same {
			t.Errorf("%s: sameName(%q) = %v, want %v", tc.desc, tc.dn, got, tc.same)
		}
	}
}

func TestSerialSpellings(t *testing.T) {
	cases := map[string][]string{
		"c3a": {"0C3A", "C3A"},
		"c3":  {"00C3", "C3"},
		"7f":  {"7F"},
		"abc": {"0ABC", "ABC"},
	}
	for in, want := range cases {
		n, _ := parseHexSerial(in)
		got := serialSpellings(n)
		if len(got) != len(want) {
			t.Errorf("serialSpellings(%s) = %v, want %v", in, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("serialSpellings(%s) = %v, want %v", in, got, want)
			}
		}
	}
}
