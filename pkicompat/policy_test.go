package pkicompat

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"net"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/helper/certutil"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// policyRole builds a role the way a write with these settings stores it (native defaults, then
// the changes, then write-time normalisation).
func policyRole(t testing.TB, change func(r *roleEntry)) *roleEntry {
	t.Helper()
	r := newDefaultRole()
	if change != nil {
		change(r)
	}
	if err := r.validateAndNormalise(); err != nil {
		t.Fatalf("test role invalid: %v", err)
	}
	return r
}

// matrixRoles are the role variants of the name matrix observed on native PKI (Vault v1.21.0),
// with allowed_domains=example.com unless noted, plus the older plugin's "*".
func matrixRoles(t testing.TB) map[string]*roleEntry {
	domains := func(r *roleEntry) { r.AllowedDomains = []string{"example.com"} }
	return map[string]*roleEntry{
		"sub":  policyRole(t, func(r *roleEntry) { domains(r); r.AllowSubdomains = true }),
		"bare": policyRole(t, func(r *roleEntry) { domains(r); r.AllowBareDomains = true }),
		"sb":   policyRole(t, func(r *roleEntry) { domains(r); r.AllowSubdomains = true; r.AllowBareDomains = true }),
		"nowild": policyRole(t, func(r *roleEntry) {
			domains(r)
			r.AllowSubdomains = true
			r.AllowWildcardCertificates = roleBoolPtr(false)
		}),
		"glob": policyRole(t, func(r *roleEntry) { r.AllowedDomains = []string{"*.example.com"}; r.AllowGlobDomains = true }),
		"none": policyRole(t, domains),
		"any":  policyRole(t, func(r *roleEntry) { domains(r); r.AllowAnyName = true }),
		"anyNE": policyRole(t, func(r *roleEntry) {
			domains(r)
			r.AllowAnyName = true
			r.EnforceHostnames = false
		}),
		"noloc": policyRole(t, func(r *roleEntry) { domains(r); r.AllowSubdomains = true; r.AllowLocalhost = false }),
		"empty": policyRole(t, nil),
		// allowed_domains=foo-*.example.com with globs: only foo-bar.example.com and localhost.
		"globdash": policyRole(t, func(r *roleEntry) { r.AllowedDomains = []string{"foo-*.example.com"}; r.AllowGlobDomains = true }),
		// The seed's "any domain" role, with and without allow_subdomains.
		"star":    policyRole(t, func(r *roleEntry) { r.AllowedDomains = []string{"*"} }),
		"starsub": policyRole(t, func(r *roleEntry) { r.AllowedDomains = []string{"*"}; r.AllowSubdomains = true }),
	}
}

// TestNameMatrixMatchesNative issues each CN under each role variant and compares the verdict
// with the matrix observed on native PKI; the older plugin's "*" roles accept every hostname.
func TestNameMatrixMatchesNative(t *testing.T) {
	roles := matrixRoles(t)
	order := []string{"sub", "bare", "sb", "nowild", "glob", "none", "any", "anyNE", "noloc", "empty", "globdash", "star", "starsub"}
	// One row per CN: "+" issued, "-" refused, in the order above.
	rows := []struct {
		cn      string
		verdict string
	}{
		{"example.com", "- + + - - - + + - - - + +"},
		{"EXAMPLE.COM", "- + + - - - + + - - - + +"},
		{"foo.example.com", "+ - + + + - + + + - - + +"},
		{"Foo.Example.com", "- - - - + - + + - - - + +"},
		{"a.b.example.com", "+ - + + + - + + + - - + +"},
		{"*.example.com", "+ - + - + - + + + - - + +"},
		{"*.foo.example.com", "+ - + - + - + + + - - + +"},
		{"f*.example.com", "+ - + - + - + + + - - + +"},
		{"foo.example.com.evil.com", "- - - - - - + + - - - + +"},
		{"fooexample.com", "- - - - - - + + - - - + +"},
		{"localhost", "+ + + + + + + + - + + + +"},
		{"foo.localhost", "+ - + + - - + + - - - + +"},
		{"user@example.com", "- + + - - - + + - - - + +"},
		{"user@foo.example.com", "+ - + + + - + + + - - + +"},
		{"foo_bar.example.com", "- - - - - - - + - - - - -"},
		{"-bad.example.com", "- - - - - - - + - - - - -"},
		{"not a host", "- - - - - - - + - - - - -"},
		{"*", "- - - - - - + + - - - + +"},
		{"example.com.", "- - - - - - + + - - - + +"},
		{"foo-bar.example.com", "+ - + + + - + + + - + + +"},
		// Case: the subdomain suffix is compared case-sensitively, the label before it is free.
		{"FOO.example.com", "+ - + + + - + + + - - + +"},
		{"foo.EXAMPLE.com", "- - - - + - + + - - - + +"},
		// IDNA: converted to punycode before the DNS SAN check.
		{"bücher.example.com", "+ - + + + - + + + - - + +"},
		// Malformed wildcards and e-mails.
		{"*.*.example.com", "- - - - - - - - - - - - -"},
		{"foo.*.example.com", "- - - - - - - - - - - - -"},
		{"a@b@example.com", "- - - - - - - - - - - - -"},
		{"user@*.example.com", "- - - - - - - - - - - - -"},
		{"localdomain", "+ + + + + + + + - + + + +"},
		{"x.localdomain", "+ - + + - - + + - - - + +"},
	}
	count := 0
	for _, row := range rows {
		verdicts := strings.Fields(row.verdict)
		if len(verdicts) != len(order) {
			t.Fatalf("row %q has %d verdicts, want %d", row.cn, len(verdicts), len(order))
		}
		for i, roleName := range order {
			wantOK := verdicts[i] == "+"
			role := roles[roleName]
			t.Run(roleName+"/"+row.cn, func(t *testing.T) {
				_, err := role.approveSubject(&subjectRequest{CommonName: row.cn})
				if wantOK && err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !wantOK {
					var ve *ValidationError
					if !errors.As(err, &ve) {
						t.Fatalf("err = %v, want a *ValidationError", err)
					}
				}
			})
			count++
		}
	}
	if count < 100 {
		t.Fatalf("only %d name × role cases", count)
	}
}

func TestNameRefusalTexts(t *testing.T) {
	roles := matrixRoles(t)
	tests := []struct {
		name string
		role *roleEntry
		req  subjectRequest
		want string
	}{
		{"cn", roles["sub"], subjectRequest{CommonName: "test.other.com"}, "common name test.other.com not allowed by this role"},
		{"alt name", roles["sub"], subjectRequest{CommonName: "ok.example.com", AltNames: []string{"x.other.com"}}, "subject alternate name x.other.com not allowed by this role"},
		{"bare alt name on sub", roles["sub"], subjectRequest{CommonName: "ok.example.com", AltNames: []string{"example.com"}}, "subject alternate name example.com not allowed by this role"},
		{"email alt name", roles["sub"], subjectRequest{CommonName: "ok.example.com", AltNames: []string{"user@example.com"}}, "email address user@example.com not allowed by this role"},
		{"cn required", roles["sub"], subjectRequest{}, errCNRequired},
		{"ip not allowed", policyRole(t, func(r *roleEntry) { r.AllowAnyName = true; r.AllowIPSANs = false }),
			subjectRequest{CommonName: "a.com", IPSANs: []string{"1.2.3.4"}}, "IP Subject Alternative Names are not allowed in this role, but was provided [1.2.3.4]"},
		{"ip invalid", roles["any"], subjectRequest{CommonName: "a.com", IPSANs: []string{"notip"}}, `the value "notip" is not a valid IP address`},
		{"uri none allowed", roles["any"], subjectRequest{CommonName: "a.com", URISANs: []string{"spiffe://x/y"}}, "URI Subject Alternative Names are not allowed in this role, but were provided via the API"},
		{"uri not matching", policyRole(t, func(r *roleEntry) { r.AllowAnyName = true; r.AllowedURISANs = []string{"spiffe://example.org/*"} }),
			subjectRequest{CommonName: "a.com", URISANs: []string{"spiffe://evil.org/x"}}, "URI Subject Alternative Names were provided via the API which are not valid for this role"},
		{"other SAN oid", roles["any"], subjectRequest{CommonName: "a.com", OtherSANs: []string{"1.2.3.4;UTF8:x"}}, "other SAN OID 1.2.3.4 not allowed by this role"},
		{"other SAN value", policyRole(t, func(r *roleEntry) { r.AllowAnyName = true; r.AllowedOtherSANs = []string{"1.2.3.4;UTF8:a*"} }),
			subjectRequest{CommonName: "a.com", OtherSANs: []string{"1.2.3.4;UTF8:bob"}}, "other SAN bob not allowed for OID 1.2.3.4 by this role"},
		{"other SAN malformed", roles["any"], subjectRequest{CommonName: "a.com", OtherSANs: []string{"1.2.3.4:x"}}, `could not parse requested other SAN: expected a semicolon in other SAN "1.2.3.4:x"`},
		{"user id", roles["any"], subjectRequest{CommonName: "a.com", UserIDs: []string{"bob"}}, "user_id bob is not allowed by this role"},
		{"serial number", roles["any"], subjectRequest{CommonName: "a.com", SerialNumber: "abc"}, "serial_number abc not allowed by this role"},
		{"cn validations email only", policyRole(t, func(r *roleEntry) { r.AllowAnyName = true; r.CNValidations = []string{"email"} }),
			subjectRequest{CommonName: "host.example.com"}, "common name host.example.com not allowed by this role"},
		{"cn validations hostname only", policyRole(t, func(r *roleEntry) { r.AllowAnyName = true; r.CNValidations = []string{"hostname"} }),
			subjectRequest{CommonName: "user@example.com"}, "common name user@example.com not allowed by this role"},
		{"ip list formatting", policyRole(t, func(r *roleEntry) { r.AllowAnyName = true; r.AllowIPSANs = false }),
			subjectRequest{CommonName: "a.com", IPSANs: []string{"1.2.3.4", "5.6.7.8"}}, "IP Subject Alternative Names are not allowed in this role, but was provided [1.2.3.4 5.6.7.8]"},
		{"email alt name with two @", roles["any"], subjectRequest{CommonName: "a.com", AltNames: []string{"a@b@c.com"}}, "email address a@b@c.com not allowed by this role"},
		{"idna error in the CN", roles["anyNE"], subjectRequest{CommonName: "a..b"}, `idna: invalid label "a..b"`},
		{"idna error in an alt name", roles["anyNE"], subjectRequest{CommonName: "a.com", AltNames: []string{".example.com"}}, `idna: invalid label ".example.com"`},
		{"allow_any_name accepts a plain CN", policyRole(t, func(r *roleEntry) { r.AllowAnyName = true }),
			subjectRequest{CommonName: "a.com"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.role.approveSubject(&tc.req)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected refusal %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Error() != tc.want {
				t.Fatalf("err = %v, want ValidationError %q", err, tc.want)
			}
		})
	}
}

func TestApproveSubjectShapesNames(t *testing.T) {
	roles := matrixRoles(t)
	tests := []struct {
		name       string
		role       *roleEntry
		req        subjectRequest
		wantDNS    []string
		wantEmails []string
		wantIPs    []string
		wantURIs   []string
	}{
		{
			name:    "alt names: wildcard added, non-hostnames silently dropped, sorted and deduplicated",
			role:    roles["sub"],
			req:     subjectRequest{CommonName: "ok.example.com", AltNames: []string{"z.example.com", "*.example.com", "foo_bar.example.com", "not a host", "z.example.com", " a.example.com "}},
			wantDNS: []string{"*.example.com", "a.example.com", "ok.example.com", "z.example.com"},
		},
		{
			name:    "CN excluded from SANs",
			role:    roles["sub"],
			req:     subjectRequest{CommonName: "ok.example.com", ExcludeCNFromSANs: true, AltNames: []string{"b.example.com"}},
			wantDNS: []string{"b.example.com"},
		},
		{
			name:       "e-mail CN goes to the e-mail SANs",
			role:       roles["bare"],
			req:        subjectRequest{CommonName: "user@example.com"},
			wantEmails: []string{"user@example.com"},
		},
		{
			name: "anyNE: a non-hostname CN issues without a DNS SAN",
			role: roles["anyNE"],
			req:  subjectRequest{CommonName: "My Service"},
		},
		{
			name: "anyNE: * issues without a DNS SAN",
			role: roles["anyNE"],
			req:  subjectRequest{CommonName: "*"},
		},
		{
			name:    "IDNA names are stored in punycode",
			role:    roles["sub"],
			req:     subjectRequest{CommonName: "bücher.example.com"},
			wantDNS: []string{"xn--bcher-kva.example.com"},
		},
		{
			name:     "IP and URI SANs",
			role:     policyRole(t, func(r *roleEntry) { r.AllowAnyName = true; r.AllowedURISANs = []string{"spiffe://example.org/*"} }),
			req:      subjectRequest{CommonName: "a.com", IPSANs: []string{"10.0.0.1", "::1"}, URISANs: []string{"spiffe://example.org/web"}},
			wantDNS:  []string{"a.com"},
			wantIPs:  []string{"10.0.0.1", "::1"},
			wantURIs: []string{"spiffe://example.org/web"},
		},
		{
			name:    "seed: * allows any hostname in CN and alt names",
			role:    roles["star"],
			req:     subjectRequest{CommonName: "foo.kftrain.lab", AltNames: []string{"foo.kftrain.lab", "bar.other.org"}},
			wantDNS: []string{"bar.other.org", "foo.kftrain.lab"},
		},
		{
			name: "require_cn=false with nothing",
			role: policyRole(t, func(r *roleEntry) { r.RequireCN = false }),
			req:  subjectRequest{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.role.approveSubject(&tc.req)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !policySameStrings(got.DNSNames, tc.wantDNS) {
				t.Errorf("DNSNames = %q, want %q", got.DNSNames, tc.wantDNS)
			}
			if !policySameStrings(got.EmailAddresses, tc.wantEmails) {
				t.Errorf("EmailAddresses = %q, want %q", got.EmailAddresses, tc.wantEmails)
			}
			var ips, uris []string
			for _, ip := range got.IPAddresses {
				ips = append(ips, ip.String())
			}
			for _, u := range got.URIs {
				uris = append(uris, u.String())
			}
			if !policySameStrings(ips, tc.wantIPs) || !policySameStrings(uris, tc.wantURIs) {
				t.Errorf("IPs %q URIs %q, want %q %q", ips, uris, tc.wantIPs, tc.wantURIs)
			}
			if got.Subject.CommonName != tc.req.CommonName {
				t.Errorf("subject CN = %q, want %q", got.Subject.CommonName, tc.req.CommonName)
			}
		})
	}
}

func policySameStrings(a, b []string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestApproveSubjectSubjectFields(t *testing.T) {
	role := policyRole(t, func(r *roleEntry) {
		r.AllowAnyName = true
		r.OU = []string{"Eng", "Eng", "Ops"}
		r.Organization = []string{"ACME"}
		r.Country = []string{"DE"}
		r.Locality = []string{"Berlin"}
		r.Province = []string{"BE"}
		r.StreetAddress = []string{"Main 1"}
		r.PostalCode = []string{"10115"}
		r.AllowedUserIDs = []string{"bob", "svc-*"}
		r.AllowedSerialNumbers = []string{"SN-*"}
		r.AllowedOtherSANs = []string{"1.3.6.1.4.1.311.20.2.3;UTF8:*@example.com"}
	})
	got, err := role.approveSubject(&subjectRequest{
		CommonName: "a.example.com", UserIDs: []string{"BOB", "svc-web"}, SerialNumber: "SN-42",
		OtherSANs: []string{"1.3.6.1.4.1.311.20.2.3;UTF8:me@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := got.Subject
	if !reflect.DeepEqual(s.OrganizationalUnit, []string{"Eng", "Ops"}) || !reflect.DeepEqual(s.Organization, []string{"ACME"}) ||
		!reflect.DeepEqual(s.Country, []string{"DE"}) || !reflect.DeepEqual(s.Locality, []string{"Berlin"}) ||
		!reflect.DeepEqual(s.Province, []string{"BE"}) || !reflect.DeepEqual(s.StreetAddress, []string{"Main 1"}) ||
		!reflect.DeepEqual(s.PostalCode, []string{"10115"}) || s.SerialNumber != "SN-42" {
		t.Fatalf("subject = %+v", s)
	}
	var uids []string
	for _, n := range s.ExtraNames {
		if n.Type.Equal(certutil.SubjectPilotUserIDAttributeOID) {
			uids = append(uids, n.Value.(string))
		}
	}
	if !reflect.DeepEqual(uids, []string{"BOB", "svc-web"}) {
		t.Fatalf("user ids = %v", uids)
	}
	if want := map[string][]string{"1.3.6.1.4.1.311.20.2.3": {"me@example.com"}}; !reflect.DeepEqual(got.OtherSANs, want) {
		t.Fatalf("other SANs = %v, want %v", got.OtherSANs, want)
	}
}

// policyTestCSR builds a CSR with the given key and names.
func policyTestCSR(t testing.TB, key interface{}, tmpl *x509.CertificateRequest) *x509.CertificateRequest {
	t.Helper()
	signer, ok := key.(crypto.Signer)
	if !ok {
		t.Fatalf("%T is not a signing key", key)
	}
	csr, _ := testcerts.CSR(t, signer, tmpl)
	return csr
}

func TestApproveSubjectFromCSR(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	uri, _ := url.Parse("spiffe://example.org/web")
	csr := policyTestCSR(t, key, &x509.CertificateRequest{
		Subject:     pkix.Name{CommonName: "csr.example.com", SerialNumber: "SN-1"},
		DNSNames:    []string{"b.example.com", "a.example.com"},
		IPAddresses: []net.IP{net.ParseIP("10.1.1.1")},
		URIs:        []*url.URL{uri},
	})
	base := func(r *roleEntry) {
		r.AllowedDomains = []string{"example.com"}
		r.AllowSubdomains = true
		r.AllowedURISANs = []string{"spiffe://example.org/*"}
		r.AllowedSerialNumbers = []string{"SN-*"}
	}

	t.Run("names from the CSR, request names ignored with native warnings", func(t *testing.T) {
		role := policyRole(t, base)
		got, err := role.approveSubject(&subjectRequest{CommonName: "other.example.com", AltNames: []string{"x.other.com"}, CSR: csr})
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject.CommonName != "csr.example.com" || got.Subject.SerialNumber != "SN-1" {
			t.Errorf("subject = %+v", got.Subject)
		}
		if want := []string{"a.example.com", "b.example.com", "csr.example.com"}; !reflect.DeepEqual(got.DNSNames, want) {
			t.Errorf("DNS = %v, want %v", got.DNSNames, want)
		}
		if len(got.IPAddresses) != 1 || len(got.URIs) != 1 {
			t.Errorf("IPs %v URIs %v", got.IPAddresses, got.URIs)
		}
		if want := []string{warnCSRCN, warnCSRSANs}; !reflect.DeepEqual(got.Warnings, want) {
			t.Errorf("warnings = %q, want %q", got.Warnings, want)
		}
	})
	t.Run("use_csr_* off: the request's names", func(t *testing.T) {
		role := policyRole(t, func(r *roleEntry) { base(r); r.UseCSRCommonName = false; r.UseCSRSANs = false })
		got, err := role.approveSubject(&subjectRequest{CommonName: "req.example.com", AltNames: []string{"alt.example.com"}, CSR: csr})
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject.CommonName != "req.example.com" || !reflect.DeepEqual(got.DNSNames, []string{"alt.example.com", "req.example.com"}) {
			t.Errorf("CN %q DNS %v", got.Subject.CommonName, got.DNSNames)
		}
		if len(got.IPAddresses) != 0 || len(got.URIs) != 0 || len(got.Warnings) != 0 {
			t.Errorf("IPs %v URIs %v warnings %v", got.IPAddresses, got.URIs, got.Warnings)
		}
	})
	t.Run("a CSR name outside the role is refused", func(t *testing.T) {
		role := policyRole(t, func(r *roleEntry) { base(r); r.AllowedDomains = []string{"other.com"}; r.RequireCN = false })
		_, err := role.approveSubject(&subjectRequest{CSR: csr})
		if err == nil || err.Error() != "common name csr.example.com not allowed by this role" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("CSR IP SANs need allow_ip_sans", func(t *testing.T) {
		role := policyRole(t, func(r *roleEntry) { base(r); r.AllowIPSANs = false })
		_, err := role.approveSubject(&subjectRequest{CSR: csr})
		if err == nil || err.Error() != "IP Subject Alternative Names are not allowed in this role, but was provided some via CSR" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("CSR URI SANs need a matching allowed_uri_sans", func(t *testing.T) {
		role := policyRole(t, func(r *roleEntry) { base(r); r.AllowedURISANs = []string{"spiffe://other.org/*"} })
		_, err := role.approveSubject(&subjectRequest{CSR: csr})
		if err == nil || err.Error() != "URI Subject Alternative Names were provided via CSR which are not valid for this role" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("user ids from the CSR subject", func(t *testing.T) {
		uidCSR := policyTestCSR(t, key, &x509.CertificateRequest{Subject: pkix.Name{
			CommonName: "u.example.com",
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier(certutil.SubjectPilotUserIDAttributeOID), Value: "alice"}},
		}})
		role := policyRole(t, base)
		if _, err := role.approveSubject(&subjectRequest{CSR: uidCSR}); err == nil || err.Error() != "user_id alice is not allowed by this role" {
			t.Fatalf("err = %v", err)
		}
		role.AllowedUserIDs = []string{"alice"}
		got, err := role.approveSubject(&subjectRequest{CSR: uidCSR})
		if err != nil || len(got.Subject.ExtraNames) != 1 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}

func TestCheckCSRKey(t *testing.T) {
	gen := func(f func() (interface{}, error)) interface{} {
		k, err := f()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	keys := map[string]interface{}{
		"rsa1024": gen(func() (interface{}, error) { return rsa.GenerateKey(rand.Reader, 1024) }),
		"rsa2048": gen(func() (interface{}, error) { return rsa.GenerateKey(rand.Reader, 2048) }),
		"rsa3072": gen(func() (interface{}, error) { return rsa.GenerateKey(rand.Reader, 3072) }),
		"p224":    gen(func() (interface{}, error) { return ecdsa.GenerateKey(elliptic.P224(), rand.Reader) }),
		"p256":    gen(func() (interface{}, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }),
		"p384":    gen(func() (interface{}, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) }),
		"ed25519": gen(func() (interface{}, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }),
	}
	csrs := map[string]*x509.CertificateRequest{}
	for name, k := range keys {
		csrs[name] = policyTestCSR(t, k, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "k.example.com"}})
	}
	role := func(keyType string, bits int) *roleEntry {
		return policyRole(t, func(r *roleEntry) { r.KeyType = keyType; r.KeyBits = bits })
	}
	tests := []struct {
		role *roleEntry
		csr  string
		want string // "" = accepted
	}{
		{role("rsa", 0), "rsa2048", ""},
		{role("rsa", 0), "rsa3072", ""},
		{role("rsa", 0), "rsa1024", "role requires a minimum of a 2048-bit key, but CSR's key is 1024 bits"},
		{role("rsa", 3072), "rsa2048", "role requires a minimum of a 3072-bit key, but CSR's key is 2048 bits"},
		{role("rsa", 0), "p256", "role requires keys of type rsa"},
		{role("rsa", 0), "ed25519", "role requires keys of type rsa"},
		{role("ec", 0), "p256", ""},
		{role("ec", 0), "p384", ""},
		{role("ec", 0), "p224", "role requires a minimum of a 256-bit key, but CSR's key is 224 bits"},
		{role("ec", 384), "p256", "role requires a minimum of a 384-bit key, but CSR's key is 256 bits"},
		{role("ec", 0), "rsa2048", "role requires keys of type ec"},
		{role("ed25519", 0), "ed25519", ""},
		{role("ed25519", 0), "p256", "role requires keys of type ed25519"},
		{role("any", 0), "rsa2048", ""},
		{role("any", 0), "p224", ""},
		{role("any", 0), "ed25519", ""},
		{role("any", 0), "rsa1024", "RSA keys < 2048 bits are unsafe and not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.role.KeyType+"/"+tc.csr, func(t *testing.T) {
			err := tc.role.checkCSRKey(csrs[tc.csr])
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Error() != tc.want {
				t.Fatalf("err = %v, want ValidationError %q", err, tc.want)
			}
		})
	}
	if err := role("rsa", 0).checkCSRKey(nil); err == nil {
		t.Fatal("nil CSR accepted")
	}
	if err := role("rsa", 0).checkCSRKey(&x509.CertificateRequest{}); err == nil {
		t.Fatal("CSR without a key accepted")
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, subject string
		want             bool
	}{
		{"*", "anything.at.all", true},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "example.com", false},
		{"foo-*.example.com", "foo-bar.example.com", true},
		{"foo-*.example.com", "foo-.example.com", true},
		{"foo-*.example.com", "bar-foo-x.example.com", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXcYb", false},
		{"a*", "a", true},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"spiffe://example.org/*", "spiffe://example.org/ns/web", true},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.subject); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.subject, got, tc.want)
		}
	}
}

func BenchmarkApproveSubject(b *testing.B) {
	role := policyRole(b, func(r *roleEntry) { r.AllowedDomains = []string{"example.com"}; r.AllowSubdomains = true })
	req := &subjectRequest{CommonName: "web.example.com", AltNames: []string{"a.example.com", "b.example.com", "*.example.com"}}
	for i := 0; i < b.N; i++ {
		if _, err := role.approveSubject(req); err != nil {
			b.Fatal(err)
		}
	}
}
