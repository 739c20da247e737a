package commandtest

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

// parsePKCS7Certs decodes a certs-only SignedData independently of the encoder's types.
func parsePKCS7Certs(t *testing.T, der []byte) []*x509.Certificate {
	t.Helper()
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if rest, err := asn1.Unmarshal(der, &ci); err != nil || len(rest) != 0 {
		t.Fatalf("ContentInfo: %v", err)
	}
	if !ci.ContentType.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}) {
		t.Fatalf("content type %v", ci.ContentType)
	}
	var sd struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      asn1.RawValue
		Certificates     asn1.RawValue `asn1:"tag:0"`
		SignerInfos      asn1.RawValue
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		t.Fatalf("SignedData: %v", err)
	}
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return certs
}

func TestDownload(t *testing.T) {
	s := newTestServer(t)
	chain, id := enrollOK(t, s, map[string]any{"IncludeChain": true})
	leaf := chain[0]
	var m certSummary
	do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)}).decode(t, &m)

	download := func(t *testing.T, format string, body map[string]any) []byte {
		t.Helper()
		r := do(t, s, call{method: "POST", path: "/Certificates/Download", body: body, headers: map[string]string{"x-certificateformat": format}})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var out downloadResponse
		r.decode(t, &out)
		raw, err := base64.StdEncoding.DecodeString(out.Content)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	pemCerts := func(raw []byte) []*x509.Certificate {
		var out []*x509.Certificate
		for rest := raw; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				return out
			}
			out = append(out, mustParse(t, b.Bytes))
		}
	}
	subjects := func(certs []*x509.Certificate) string {
		var cn []string
		for _, c := range certs {
			cn = append(cn, c.Subject.CommonName)
		}
		return strings.Join(cn, ",")
	}
	leafFirst := "app.example.com," + DefaultCALogicalName + "," + RootCAName
	rootFirst := RootCAName + "," + DefaultCALogicalName + ",app.example.com"

	tests := []struct {
		name, format string
		body         map[string]any
		want         string
	}{
		{"PEM by CertID", "PEM", map[string]any{"CertID": id}, "app.example.com"},
		{"PEM by CertId spelling with chain", "PEM", map[string]any{"CertId": id, "IncludeChain": true, "ChainOrder": "endentityfirst"}, leafFirst},
		{"PEM root first", "PEM", map[string]any{"CertID": id, "IncludeChain": true, "ChainOrder": "RootFirst"}, rootFirst},
		{"P7B by thumbprint", "P7B", map[string]any{"Thumbprint": strings.ToLower(m.Thumbprint), "IncludeChain": true}, leafFirst},
		{"P7B root first", "p7b", map[string]any{"Thumbprint": m.Thumbprint, "IncludeChain": true, "ChainOrder": "RootFirst"}, rootFirst},
		{"P7B leaf only", "P7B", map[string]any{"CertID": id}, "app.example.com"},
		{"DER by serial and issuer", "DER", map[string]any{"SerialNumber": m.SerialNumber, "IssuerDN": *m.IssuerDN, "IncludeChain": true}, "app.example.com"},
		{"issuing CA certificate with chain", "PEM", map[string]any{"CertID": 2, "IncludeChain": true}, DefaultCALogicalName + "," + RootCAName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := download(t, tt.format, tt.body)
			var got []*x509.Certificate
			switch strings.ToUpper(tt.format) {
			case "PEM":
				if !strings.Contains(string(raw), "\r\n") {
					t.Fatal("PEM content must use CRLF")
				}
				got = pemCerts(raw)
			case "P7B":
				got = parsePKCS7Certs(t, raw)
			case "DER":
				got = []*x509.Certificate{mustParse(t, raw)}
			}
			if subjects(got) != tt.want {
				t.Fatalf("got %s, want %s", subjects(got), tt.want)
			}
			if strings.HasPrefix(tt.want, "app") && !got[0].Equal(leaf) {
				t.Fatal("leaf differs from the enrolled certificate")
			}
		})
	}
}

func TestDownloadErrors(t *testing.T) {
	s := newTestServer(t)
	_, id := enrollOK(t, s, map[string]any{})
	tests := []struct {
		name, format string
		body         map[string]any
		wantStatus   int
		wantCode     string
		wantMsg      string
	}{
		{"missing format", "", map[string]any{"CertID": id}, 400, codeMissingCertFormat,
			"You must supply a certificate format in the 'X-CertificateFormat' header of the request."},
		{"unknown format", "PFX", map[string]any{"CertID": id}, 400, codeInvalidCertFormat, "PFX"},
		{"no identifier", "PEM", map[string]any{"IncludeChain": true}, 400, codeInvalidRequest, "CertID"},
		{"serial without issuer", "PEM", map[string]any{"SerialNumber": "01"}, 400, codeInvalidRequest, "IssuerDN"},
		{"unknown id", "PEM", map[string]any{"CertID": 99999}, 404, codeNotFound, "99999"},
		{"unknown thumbprint", "PEM", map[string]any{"Thumbprint": "00"}, 404, codeNotFound, ""},
		{"unknown serial", "PEM", map[string]any{"SerialNumber": "01", "IssuerDN": "CN=x"}, 404, codeNotFound, ""},
		{"bad chain order", "PEM", map[string]any{"CertID": id, "ChainOrder": "Sideways"}, 400, codeInvalidRequest, "ChainOrder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, call{method: "POST", path: "/Certificates/Download", body: tt.body, headers: map[string]string{"x-certificateformat": tt.format}})
			if r.status != tt.wantStatus {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if e := r.apiError(t); e.ErrorCode != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("error %+v", e)
			}
		})
	}
}
