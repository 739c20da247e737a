package commandtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
)

func TestEnrollCSRIssues(t *testing.T) {
	s := newTestServer(t)
	r, out := enroll(t, s, map[string]any{
		"IncludeChain": true,
		"SANs":         map[string][]string{"dns": {"alt.example.com", "APP.example.com"}, "ip4": {"10.0.0.1"}, "uri": {"spiffe://x/y"}},
		"Metadata":     map[string]any{"owner": "team-x", "CostCenter": 42, "Environment": "prod"},
		"Timestamp":    "2025-01-01T00:00:00Z",
	})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	info := out.CertificateInformation
	if info.RequestDisposition != "ISSUED" || info.KeyfactorID == 0 || info.KeyfactorRequestID < firstRequestID {
		t.Fatalf("info %+v", info)
	}
	if len(info.Certificates) != 3 {
		t.Fatalf("IncludeChain: %d entries, want leaf+issuing+root", len(info.Certificates))
	}
	for _, entry := range info.Certificates {
		if !strings.Contains(entry, "\r\n") || strings.Contains(strings.ReplaceAll(entry, "\r\n", ""), "\n") {
			t.Fatalf("entry is not CRLF PEM: %q", entry)
		}
	}
	chain, _ := enrollOK(t, s, map[string]any{"IncludeChain": true})
	leaf := chain[0]
	if leaf.Subject.CommonName != "app.example.com" || chain[1].Subject.CommonName != DefaultCALogicalName || chain[2].Subject.CommonName != RootCAName {
		t.Fatalf("chain order %v / %v / %v", leaf.Subject, chain[1].Subject, chain[2].Subject)
	}
	// The first answer's leaf carries the merged SANs, the metadata is echoed canonically.
	block, _ := pem.Decode([]byte(info.Certificates[0]))
	first, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(first.DNSNames, ",") != "app.example.com,alt.example.com" || len(first.IPAddresses) != 1 || len(first.URIs) != 1 {
		t.Fatalf("SANs dns=%v ip=%v uri=%v", first.DNSNames, first.IPAddresses, first.URIs)
	}
	if out.Metadata["Owner"] != "team-x" || out.Metadata["CostCenter"] != "42" || out.Metadata["Environment"] != "prod" {
		t.Fatalf("metadata %v", out.Metadata)
	}
	if *info.SerialNumber != serialText(first.SerialNumber) {
		t.Fatalf("serial %s vs %X", *info.SerialNumber, first.SerialNumber)
	}
	if *info.IssuerDN != "CN=KFPKI-Issuing-CA, DC=kfpki, DC=test" { // .NET spelling, with spaces on enrollment answers
		t.Fatalf("IssuerDN %q", *info.IssuerDN)
	}
	if got := first.CRLDistributionPoints; len(got) != 1 || got[0] != s.CRLURL(DefaultCALogicalName) {
		t.Fatalf("CDP %v", got)
	}
	if d := first.NotAfter.Sub(first.NotBefore) - leafBackdate; d != 30*24*60*60*1e9 {
		t.Fatalf("validity %v, want the template's 30 days", d)
	}
}

func TestIssuedChainsToRoot(t *testing.T) {
	s := newTestServer(t)
	for _, ca := range []string{DefaultCALogicalName, ECCALogicalName} {
		chain, _ := enrollOK(t, s, map[string]any{"CertificateAuthority": ca, "IncludeChain": true})
		roots := x509.NewCertPool()
		roots.AddCert(s.RootCertificate())
		inter := x509.NewCertPool()
		inter.AddCert(chain[1])
		if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "app.example.com"}); err != nil {
			t.Fatalf("%s: leaf does not verify to the root: %v", ca, err)
		}
		if chain[0].Issuer.CommonName != ca {
			t.Fatalf("issuer %s, want %s", chain[0].Issuer.CommonName, ca)
		}
	}
}

func TestEnrollCSRVariants(t *testing.T) {
	s := newTestServer(t, WithSubjectHeader(true))
	csrPEM := makeCSR(t, nil, "b64.example.com")
	block, _ := pem.Decode([]byte(csrPEM))
	b64 := base64.StdEncoding.EncodeToString(block.Bytes)

	t.Run("bare base64 CSR", func(t *testing.T) {
		chain, _ := enrollOK(t, s, map[string]any{"CSR": b64})
		if chain[0].Subject.CommonName != "b64.example.com" {
			t.Fatal(chain[0].Subject)
		}
	})
	t.Run("no chain gives the leaf only", func(t *testing.T) {
		chain, _ := enrollOK(t, s, map[string]any{"IncludeChain": false})
		if len(chain) != 1 {
			t.Fatalf("%d entries", len(chain))
		}
	})
	t.Run("subject header precedes PEM", func(t *testing.T) {
		_, out := enroll(t, s, map[string]any{})
		entry := out.CertificateInformation.Certificates[0]
		if !strings.HasPrefix(entry, "Subject: CN=app.example.com\r\n-----BEGIN CERTIFICATE-----") {
			t.Fatalf("entry %q", entry[:60])
		}
	})
	t.Run("logical CA name only", func(t *testing.T) {
		enrollOK(t, s, map[string]any{"CertificateAuthority": DefaultCALogicalName})
	})
	t.Run("DER format", func(t *testing.T) {
		r := do(t, s, call{method: "POST", path: "/Enrollment/CSR", headers: map[string]string{"x-certificateformat": "DER"},
			body: map[string]any{"CSR": csrPEM, "CertificateAuthority": DefaultCALogicalName, "Template": DefaultTemplate}})
		var out enrollAnswer
		r.decode(t, &out)
		der, err := base64.StdEncoding.DecodeString(out.CertificateInformation.Certificates[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParseCertificate(der); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("forceEnroll", func(t *testing.T) {
		body := map[string]any{"CSR": csrPEM, "CertificateAuthority": DefaultCALogicalName, "Template": DefaultTemplate}
		if r := do(t, s, call{method: "POST", path: "/Enrollment/CSR?forceEnroll=true", body: body}); r.status != 200 {
			t.Fatalf("forceEnroll=true: %d", r.status)
		}
		if r := do(t, s, call{method: "POST", path: "/Enrollment/CSR?forceEnroll=maybe", body: body}); r.status != 400 {
			t.Fatalf("forceEnroll=maybe: %d", r.status)
		}
	})
	t.Run("lower-case property names bind", func(t *testing.T) {
		r := do(t, s, call{method: "POST", path: "/Enrollment/CSR",
			body: map[string]any{"csr": csrPEM, "certificateAuthority": DefaultCALogicalName, "template": DefaultTemplate}})
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestEnrollCSRErrors(t *testing.T) {
	s := newTestServer(t)
	good := makeCSR(t, nil, "x.example.com")
	tampered := []byte(good)
	block, _ := pem.Decode(tampered)
	block.Bytes[len(block.Bytes)-5] ^= 0xff // break the signature
	badSig := string(pem.EncodeToMemory(block))
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	weakDER, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "w"}}, weak)
	weakCSR := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: weakDER}))

	tests := []struct {
		name     string
		body     map[string]any
		headers  map[string]string
		rawBody  string
		wantCode string
		wantMsg  string
	}{
		{"missing format header", map[string]any{}, map[string]string{"x-certificateformat": ""}, "", codeMissingCertFormat,
			"You must supply a certificate format in the 'X-CertificateFormat' header of the request."},
		{"bad format header", map[string]any{}, map[string]string{"x-certificateformat": "PFX"}, "", codeInvalidCertFormat, "PFX"},
		{"not JSON", nil, nil, "{nope", codeInvalidRequest, "not valid JSON"},
		{"wrong type", nil, nil, `{"CSR":5}`, codeInvalidRequest, "CSR"},
		{"empty CSR", map[string]any{"CSR": ""}, nil, "", codeInvalidCSR, "CSR is required"},
		{"garbage CSR", map[string]any{"CSR": "!!!"}, nil, "", codeInvalidCSR, "base64"},
		{"certificate instead of CSR", map[string]any{"CSR": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, nil, "", codeInvalidCSR, "not a certificate request"},
		{"bad signature", map[string]any{"CSR": badSig}, nil, "", codeInvalidCSR, ""},
		{"unknown CA", map[string]any{"CertificateAuthority": `ca.kfpki.test\Nope`}, nil, "", codeUnknownCA, "Nope"},
		{"wrong host", map[string]any{"CertificateAuthority": `other.host\` + DefaultCALogicalName}, nil, "", codeUnknownCA, ""},
		{"missing CA", map[string]any{"CertificateAuthority": ""}, nil, "", codeUnknownCA, "required"},
		{"unknown template", map[string]any{"Template": "Nope"}, nil, "", codeUnknownTemplate, "Nope"},
		{"missing template", map[string]any{"Template": ""}, nil, "", codeUnknownTemplate, "required"},
		{"template without CSR bit", map[string]any{"Template": PFXOnlyTemplate}, nil, "", codeTemplateNotAllowed, PFXOnlyTemplate},
		{"RSA key too small", map[string]any{"CSR": weakCSR}, nil, "", codeKeyNotAllowed, "1024"},
		{"unknown metadata", map[string]any{"Metadata": map[string]any{"Nope": "x"}}, nil, "", codeInvalidMetadata, "Nope"},
		{"integer metadata", map[string]any{"Metadata": map[string]any{"CostCenter": "abc"}}, nil, "", codeInvalidMetadata, "integer"},
		{"choice metadata", map[string]any{"Metadata": map[string]any{"Environment": "qa"}}, nil, "", codeInvalidMetadata, "dev,test,prod"},
		{"metadata object", map[string]any{"Metadata": map[string]any{"Owner": map[string]any{}}}, nil, "", codeInvalidMetadata, "Owner"},
		{"unknown SAN key", map[string]any{"SANs": map[string][]string{"dnsname": {"a"}}}, nil, "", codeInvalidSAN, "dnsname"},
		{"unsupported SAN key", map[string]any{"SANs": map[string][]string{"ms_ntprincipalname": {"a"}}}, nil, "", codeInvalidSAN, "not supported"},
		{"bad ip4", map[string]any{"SANs": map[string][]string{"ip4": {"::1"}}}, nil, "", codeInvalidSAN, "::1"},
		{"bad uri", map[string]any{"SANs": map[string][]string{"uri": {"relative"}}}, nil, "", codeInvalidSAN, "relative"},
		{"non-ASCII dns", map[string]any{"SANs": map[string][]string{"dns": {"bücher.example"}}}, nil, "", codeInvalidSAN, "ASCII"},
		{"dns with space", map[string]any{"SANs": map[string][]string{"dns": {"a b.example"}}}, nil, "", codeInvalidSAN, "ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any = tt.rawBody
			if tt.rawBody == "" {
				b := tt.body
				if _, ok := b["CSR"]; !ok {
					b["CSR"] = good
				}
				if _, ok := b["CertificateAuthority"]; !ok {
					b["CertificateAuthority"] = DefaultCALogicalName
				}
				if _, ok := b["Template"]; !ok {
					b["Template"] = DefaultTemplate
				}
				body = b
			}
			r := do(t, s, call{method: "POST", path: "/Enrollment/CSR", body: body, headers: tt.headers})
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			e := r.apiError(t)
			if e.ErrorCode != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("error %+v, want code %s containing %q", e, tt.wantCode, tt.wantMsg)
			}
		})
	}
	if n := s.Counters().Enrollments; n != 0 {
		t.Fatalf("failed enrollments counted: %d", n)
	}
}

func TestEnrollTemplateKeyPolicy(t *testing.T) {
	inv := DefaultInventory()
	inv.Templates = append(inv.Templates,
		InventoryTemplate{CommonName: "RSAOnly", AllowedEnrollmentTypes: EnrollmentTypeCSR, Validity: Duration(3600e9), KeyType: "RSA"},
		InventoryTemplate{CommonName: "ECCOnly", AllowedEnrollmentTypes: EnrollmentTypeCSR, Validity: Duration(3600e9), KeyType: "ECC"})
	inv.MetadataFields = append(inv.MetadataFields, InventoryMetadataField{Name: "Ticket", DataType: "String", Required: true})
	s := newTestServer(t, WithInventory(inv))
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	tests := []struct {
		name     string
		body     map[string]any
		wantCode string
	}{
		{"EC key on RSA template", map[string]any{"Template": "RSAOnly", "Metadata": map[string]any{"Ticket": "T1"}}, codeKeyNotAllowed},
		{"RSA key on ECC template", map[string]any{"Template": "ECCOnly", "CSR": makeCSR(t, rsaKey, "r"), "Metadata": map[string]any{"Ticket": "T1"}}, codeKeyNotAllowed},
		{"required metadata missing", map[string]any{}, codeInvalidMetadata},
		{"RSA key on RSA template", map[string]any{"Template": "RSAOnly", "CSR": makeCSR(t, rsaKey, "r"), "Metadata": map[string]any{"Ticket": "T1"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := enroll(t, s, tt.body)
			if tt.wantCode == "" {
				if r.status != 200 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				return
			}
			if r.status != 400 || r.apiError(t).ErrorCode != tt.wantCode {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestEnrollPendingAndDispositionFaults(t *testing.T) {
	s := newTestServer(t)
	r, out := enroll(t, s, map[string]any{"Template": ApprovalTemplate})
	info := out.CertificateInformation
	if r.status != 200 || info.RequestDisposition != "PENDING" || info.KeyfactorID != 0 || len(info.Certificates) != 0 || info.KeyfactorRequestID == 0 {
		t.Fatalf("pending: %d %s", r.status, r.body)
	}
	if info.SerialNumber != nil || info.Thumbprint != nil {
		t.Fatal("pending answer carries certificate fields")
	}
	if !strings.Contains(string(r.body), `"SerialNumber":null`) {
		t.Fatalf("unset nullable fields must be null: %s", r.body)
	}
	for _, d := range []string{"DENIED", "FAILED", "PENDING"} {
		s.InjectFault(Fault{Endpoint: "POST /Enrollment/CSR", Times: 1, Disposition: d})
		_, out := enroll(t, s, map[string]any{})
		if out.CertificateInformation.RequestDisposition != d || out.CertificateInformation.KeyfactorID != 0 {
			t.Fatalf("forced %s: %+v", d, out.CertificateInformation)
		}
	}
	if _, out := enroll(t, s, map[string]any{}); out.CertificateInformation.RequestDisposition != "ISSUED" {
		t.Fatal("fault outlived Times")
	}
	if got := s.Counters().Enrollments; got != 3 { // approval pending, forced pending, final issue
		t.Fatalf("Enrollments = %d, want 3", got)
	}
}
