package commandtest

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

// windowsX500Keys are the attribute keys Windows prints in an X.500 name string (Microsoft
// Learn, CertNameToStr: the CERT_X500_NAME_STR key table), which .NET's
// X500DistinguishedName.Name uses on Windows, where Command runs. Unlike Go's pkix.Name.String
// it names DC and E (emailAddress) and writes S for the state; an attribute without a key is
// written "OID.<dotted>=value".
var windowsX500Keys = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "S",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.17":                   "PostalCode",
	"2.5.4.42":                   "G",
	"2.5.4.43":                   "I",
	"1.2.840.113549.1.9.1":       "E",
	"0.9.2342.19200300.100.1.25": "DC",
}

// dotNetDN renders a name as Command writes DNs in enrollment answers: Windows keys, most
// specific RDN first, RDNs separated by ", ". The Terraform provider's live-lab notes record
// IssuerDN with a space after each comma on enrollment answers and without on GET
// /Certificates; dotNetDNCompact is the GET spelling.
func dotNetDN(rawName []byte) string { return renderDotNetDN(rawName, ", ") }

// dotNetDNCompact is dotNetDN without the space after each comma (GET /Certificates).
func dotNetDNCompact(rawName []byte) string { return renderDotNetDN(rawName, ",") }

// renderDotNetDN works on the DER name (RawSubject, RawIssuer): a parsed pkix.Name drops DC and
// E from ToRDNSequence.
func renderDotNetDN(rawName []byte, sep string) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(rawName, &rdns); err != nil || len(rest) > 0 {
		return ""
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		attrs := make([]string, 0, len(rdns[i]))
		for _, atv := range rdns[i] {
			attrs = append(attrs, windowsKey(atv.Type)+"="+quoteDotNetValue(fmt.Sprint(atv.Value)))
		}
		parts = append(parts, strings.Join(attrs, " + "))
	}
	return strings.Join(parts, sep)
}

func windowsKey(oid asn1.ObjectIdentifier) string {
	if k, ok := windowsX500Keys[oid.String()]; ok {
		return k
	}
	return "OID." + oid.String()
}

// quoteDotNetValue quotes a value the way Windows does in X.500 name strings: a value holding a
// separator or quote character, or with leading/trailing blanks, is wrapped in double quotes,
// with an inner quote doubled.
func quoteDotNetValue(v string) string {
	if v == "" || strings.ContainsAny(v, ",+=\"\n<>#;") || strings.TrimSpace(v) != v {
		return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return v
}
