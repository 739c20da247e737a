package commandtest

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
)

// pemCRLF encodes cert as PEM with CRLF line endings, as Command (a Windows service) does.
func pemCRLF(cert *x509.Certificate) string {
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	return strings.ReplaceAll(string(block), "\n", "\r\n")
}

// subjectHeader is the text Command can put before each PEM. Inferred: the exact layout is not
// evidenced (clients strip everything before "-----BEGIN"); one "Subject:" line is used.
func subjectHeader(cert *x509.Certificate) string {
	return "Subject: " + dotNetDN(cert.RawSubject) + "\r\n"
}

// normalizeDN makes DNs comparable whatever their separator spacing and letter case.
func normalizeDN(dn string) string {
	parts := strings.Split(dn, ",")
	for i, p := range parts {
		parts[i] = strings.ToLower(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}

// certEntries renders chain for an enrollment answer in the requested format: CRLF PEM
// (optionally with subject headers) or, for DER, base64 DER. Inferred: DER entries as base64.
func certEntries(chain []*x509.Certificate, format string, withHeader bool) []string {
	out := make([]string, 0, len(chain))
	for _, c := range chain {
		if strings.EqualFold(format, "DER") {
			out = append(out, base64.StdEncoding.EncodeToString(c.Raw))
			continue
		}
		entry := pemCRLF(c)
		if withHeader {
			entry = subjectHeader(c) + entry
		}
		out = append(out, entry)
	}
	return out
}
