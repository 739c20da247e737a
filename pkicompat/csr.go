package pkicompat

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/hashicorp/vault/sdk/helper/certutil"
)

// parseCSR reads the caller's PEM CSR and checks its self-signature (proof of key possession).
func parseCSR(text string) (*x509.CertificateRequest, error) {
	if strings.TrimSpace(text) == "" {
		return nil, Invalid(`"csr" is empty`)
	}
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, Invalid("csr contains no data")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, Invalid("certificate request could not be parsed: %s", err.Error())
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, Invalid("certificate request signature is invalid: %s", err.Error())
	}
	return csr, nil
}

// subjectFromCSR takes the names of a CSR as they are, for sign-verbatim.
func subjectFromCSR(csr *x509.CertificateRequest) *approvedSubject {
	return &approvedSubject{
		Subject:        csr.Subject,
		DNSNames:       csr.DNSNames,
		EmailAddresses: csr.EmailAddresses,
		IPAddresses:    csr.IPAddresses,
		URIs:           csr.URIs,
	}
}

// csrWithinApproval refuses a CSR whose subject or SANs go beyond what the role approved. The
// CA signs the CSR it is given and may copy names from it, so a name the role never saw must not
// reach it (native would silently drop it; here it could end up in the certificate).
func csrWithinApproval(csr *x509.CertificateRequest, s *approvedSubject) error {
	if cn := csr.Subject.CommonName; cn != "" && cn != s.Subject.CommonName {
		return Invalid("the CSR's common name %q is not the approved common name %q: this CA takes the subject from the CSR, so they must match", cn, s.Subject.CommonName)
	}
	var extra []string
	for _, n := range csr.DNSNames {
		if !containsFold(s.DNSNames, n) {
			extra = append(extra, n)
		}
	}
	for _, n := range csr.EmailAddresses {
		if !containsFold(s.EmailAddresses, n) {
			extra = append(extra, n)
		}
	}
	for _, ip := range csr.IPAddresses {
		if !containsIP(s.IPAddresses, ip) {
			extra = append(extra, ip.String())
		}
	}
	for _, u := range csr.URIs {
		found := false
		for _, a := range s.URIs {
			if a.String() == u.String() {
				found = true
			}
		}
		if !found {
			extra = append(extra, u.String())
		}
	}
	if len(extra) > 0 {
		return Invalid("the CSR names subject alternative names the role did not approve for this request: %s (send them in alt_names/ip_sans/uri_sans, or set use_csr_sans on the role)", strings.Join(extra, ", "))
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func containsIP(list []net.IP, ip net.IP) bool {
	for _, v := range list {
		if v.Equal(ip) {
			return true
		}
	}
	return false
}

// buildCSR makes the CSR for a key generated here, carrying exactly the approved names.
func buildCSR(key *generatedKey, s *approvedSubject, sigAlg x509.SignatureAlgorithm) (*x509.CertificateRequest, error) {
	tmpl := &x509.CertificateRequest{
		Subject:            s.Subject,
		DNSNames:           s.DNSNames,
		EmailAddresses:     s.EmailAddresses,
		IPAddresses:        s.IPAddresses,
		URIs:               s.URIs,
		SignatureAlgorithm: sigAlg,
	}
	if err := addOtherSANs(tmpl, s); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(randReader, tmpl, key.signer)
	if err != nil {
		return nil, fmt.Errorf("creating the certificate request: %w", err)
	}
	return x509.ParseCertificateRequest(der)
}

// checkSigned makes sure the CA answered with a certificate for the key in the CSR, so a
// misbehaving CA can never hand a caller a certificate for someone else's key.
func checkSigned(signed *SignResponse, csr *x509.CertificateRequest) error {
	if signed == nil || signed.Certificate == nil {
		return errors.New("the CA returned no certificate")
	}
	signed.Chain = withoutNil(signed.Chain)
	want, err := x509.MarshalPKIXPublicKey(csr.PublicKey)
	if err != nil {
		return fmt.Errorf("reading the CSR's public key: %w", err)
	}
	got, err := x509.MarshalPKIXPublicKey(signed.Certificate.PublicKey)
	if err != nil || !bytes.Equal(want, got) {
		return errors.New("the CA returned a certificate for a different public key than the request's")
	}
	return nil
}

// randReader is the entropy source for CSR signatures.
var randReader = rand.Reader

// addOtherSANs puts approved otherName SANs into the CSR. certutil builds the whole
// subjectAltName extension (with the DNS, email, IP and URI names too), and x509 then leaves
// its own SAN encoding out.
func addOtherSANs(tmpl *x509.CertificateRequest, s *approvedSubject) error {
	if len(s.OtherSANs) == 0 {
		return nil
	}
	if err := certutil.HandleOtherCSRSANs(tmpl, s.OtherSANs); err != nil {
		return fmt.Errorf("encoding other SANs: %w", err)
	}
	return nil
}

// csrSubjectWarning says when the CSR's subject carries attributes the role would not have set.
// Native replaces them with the role's subject fields; this CA takes the subject from the CSR,
// so they end up in the certificate. Names are checked separately (csrWithinApproval).
func csrSubjectWarning(csr *x509.CertificateRequest, s *approvedSubject) string {
	got, want := csr.Subject, s.Subject
	var differ []string
	check := func(name string, a, b []string) {
		if strings.Join(a, "\x00") != strings.Join(b, "\x00") && len(a) > 0 {
			differ = append(differ, name)
		}
	}
	check("organization", got.Organization, want.Organization)
	check("ou", got.OrganizationalUnit, want.OrganizationalUnit)
	check("country", got.Country, want.Country)
	check("locality", got.Locality, want.Locality)
	check("province", got.Province, want.Province)
	check("street_address", got.StreetAddress, want.StreetAddress)
	check("postal_code", got.PostalCode, want.PostalCode)
	if len(differ) == 0 {
		return ""
	}
	return fmt.Sprintf("the CA takes the subject from the CSR, so its %s will appear in the certificate instead of the role's values", strings.Join(differ, ", "))
}
