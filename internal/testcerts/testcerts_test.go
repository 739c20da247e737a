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
