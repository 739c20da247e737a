// Package testcerts is the project's one kit for test keys, certificate requests, CAs and
// certificates, shared by every package's tests (and by the compat_test module, which sits below
// this module's path). Failures stop the test: a test that cannot make a key has nothing to
// assert. The simulator (driver/keyfactor/commandtest) keeps its own CA code on purpose: it
// imitates Command's CAs, which are product behaviour, not test material.
package testcerts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// ECKey is a fresh P-256 key.
func ECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating an EC key: %v", err)
	}
	return key
}

// RSAKey is a fresh RSA key of bits bits.
func RSAKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatalf("generating an RSA key: %v", err)
	}
	return key
}

// Names is a request template naming cn as the subject's common name and dnsNames as DNS SANs.
func Names(cn string, dnsNames ...string) *x509.CertificateRequest {
	return &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames}
}

// CSR signs tmpl with key and returns the parsed request and its PEM text.
func CSR(t testing.TB, key crypto.Signer, tmpl *x509.CertificateRequest) (*x509.CertificateRequest, string) {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatalf("creating a CSR: %v", err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatalf("parsing the CSR: %v", err)
	}
	return csr, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// Issue signs tmpl for pub with signer under parent (tmpl itself for a self-signed certificate)
// and returns the parsed certificate.
func Issue(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatalf("creating certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	return cert
}

// CA is a certificate authority for tests: its certificate and the key that signs under it.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewRootCA makes a self-signed CA named cn with key: a random serial, valid from an hour ago for
// ten years, for signing certificates and CRLs. edits change the template before it is signed
// (a shorter validity, a CRL distribution point, another subject).
func NewRootCA(t testing.TB, cn string, key crypto.Signer, edits ...func(*x509.Certificate)) *CA {
	t.Helper()
	tmpl := caTemplate(t, cn, edits)
	return &CA{Cert: Issue(t, tmpl, tmpl, key.Public(), key), Key: key}
}

// NewSubCA makes a CA named cn with key, signed by ca, with the template of NewRootCA.
func (ca *CA) NewSubCA(t testing.TB, cn string, key crypto.Signer, edits ...func(*x509.Certificate)) *CA {
	t.Helper()
	return &CA{Cert: ca.Issue(t, caTemplate(t, cn, edits), key.Public()), Key: key}
}

// Issue signs tmpl for pub under ca.
func (ca *CA) Issue(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	return Issue(t, tmpl, ca.Cert, pub, ca.Key)
}

func caTemplate(t testing.TB, cn string, edits []func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          RandomSerial(t),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, edit := range edits {
		edit(tmpl)
	}
	return tmpl
}

// LeafTemplate is an end-entity template named cn with dnsNames as DNS SANs: a random serial,
// valid from a minute ago for an hour. Tests set whatever else they need on it.
func LeafTemplate(t testing.TB, cn string, dnsNames ...string) *x509.Certificate {
	t.Helper()
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: RandomSerial(t),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dnsNames,
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Hour),
	}
}

// SelfSigned signs tmpl with key itself: a certificate no CA of the test issued.
func SelfSigned(t testing.TB, tmpl *x509.Certificate, key crypto.Signer) *x509.Certificate {
	t.Helper()
	return Issue(t, tmpl, tmpl, key.Public(), key)
}

// RandomSerial is a positive 128-bit serial number, as CAs give (RFC 5280 allows up to 20 octets).
func RandomSerial(t testing.TB) *big.Int {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		t.Fatalf("drawing a serial number: %v", err)
	}
	return serial.Add(serial, big.NewInt(1))
}

// PEM is cert as one PEM CERTIFICATE block.
func PEM(cert *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
}

// CertsOnlyPKCS7 is a certificates-only PKCS#7 SignedData bundle (RFC 2315: no signers, no
// content), DER encoded: what Command's P7B download and many CA tools return for a chain.
func CertsOnlyPKCS7(t testing.TB, certs ...*x509.Certificate) []byte {
	t.Helper()
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	emptySet := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true}
	signedData := struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      struct{ ContentType asn1.ObjectIdentifier }
		Certificates     asn1.RawValue
		SignerInfos      asn1.RawValue
	}{
		Version:          1,
		DigestAlgorithms: emptySet,
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: raw},
		SignerInfos:      emptySet,
	}
	signedData.ContentInfo.ContentType = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1} // data
	inner, err := asn1.Marshal(signedData)
	if err != nil {
		t.Fatalf("encoding PKCS#7 SignedData: %v", err)
	}
	out, err := asn1.Marshal(struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue
	}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}, // signedData
		asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner}})
	if err != nil {
		t.Fatalf("encoding PKCS#7 ContentInfo: %v", err)
	}
	return out
}
