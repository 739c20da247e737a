package testcerts

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

func TestCSR(t *testing.T) {
	key := ECKey(t)
	csr, text := CSR(t, key, Names("a.example.com", "a.example.com", "b.example.com"))
	block, _ := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("PEM %q", text)
	}
	parsed, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil || parsed.CheckSignature() != nil || !key.PublicKey.Equal(parsed.PublicKey) {
		t.Fatalf("the PEM does not hold a CSR signed by the key: %v", err)
	}
	if csr.Subject.CommonName != "a.example.com" || len(csr.DNSNames) != 2 {
		t.Fatalf("CSR names %v %v", csr.Subject, csr.DNSNames)
	}
}

func TestIssue(t *testing.T) {
	rootKey := RSAKey(t, 2048)
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Kit Root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	root := Issue(t, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	leafKey := ECKey(t)
	leaf := Issue(t, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
	}, root, leafKey.Public(), rootKey)
	if err := leaf.CheckSignatureFrom(root); err != nil || !leafKey.PublicKey.Equal(leaf.PublicKey) {
		t.Fatalf("leaf not signed by the root for its key: %v", err)
	}
}

// A root, an issuing CA under it and a leaf under that verify as a chain, and edits reach the
// template.
func TestCAHierarchy(t *testing.T) {
	root := NewRootCA(t, "Kit Root", ECKey(t))
	const cdp = "http://crl.example.com/kit.crl"
	issuing := root.NewSubCA(t, "Kit Issuing", RSAKey(t, 2048), func(c *x509.Certificate) { c.CRLDistributionPoints = []string{cdp} })
	leafKey := ECKey(t)
	leaf := issuing.Issue(t, LeafTemplate(t, "leaf.example.com", "leaf.example.com"), leafKey.Public())
	for _, ca := range []*CA{root, issuing} {
		if !ca.Cert.IsCA || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 || !ca.Cert.NotAfter.After(time.Now().AddDate(9, 0, 0)) {
			t.Errorf("%s: IsCA %v, key usage %v, notAfter %v", ca.Cert.Subject, ca.Cert.IsCA, ca.Cert.KeyUsage, ca.Cert.NotAfter)
		}
	}
	if root.Cert.CheckSignatureFrom(root.Cert) != nil || issuing.Cert.CheckSignatureFrom(root.Cert) != nil {
		t.Fatal("the CAs are not signed as a hierarchy")
	}
	if len(issuing.Cert.CRLDistributionPoints) != 1 || issuing.Cert.CRLDistributionPoints[0] != cdp {
		t.Errorf("the edit did not reach the issuing CA: %v", issuing.Cert.CRLDistributionPoints)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root.Cert)
	inter.AddCert(issuing.Cert)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "leaf.example.com"}); err != nil {
		t.Fatalf("the leaf does not verify up to the root: %v", err)
	}
	if leaf.IsCA || leaf.SerialNumber.Sign() <= 0 || leaf.SerialNumber.Cmp(LeafTemplate(t, "x").SerialNumber) == 0 {
		t.Errorf("leaf: IsCA %v, serial %v", leaf.IsCA, leaf.SerialNumber)
	}
	self := SelfSigned(t, LeafTemplate(t, "self.example.com"), leafKey)
	if self.CheckSignature(self.SignatureAlgorithm, self.RawTBSCertificate, self.Signature) != nil || self.Issuer.CommonName != "self.example.com" {
		t.Errorf("self-signed: issuer %v", self.Issuer)
	}
	if block, _ := pem.Decode([]byte(PEM(leaf))); block == nil || block.Type != "CERTIFICATE" || !leaf.Equal(mustParse(t, block.Bytes)) {
		t.Error("PEM does not hold the certificate")
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
