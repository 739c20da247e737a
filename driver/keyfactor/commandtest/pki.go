package commandtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// simOrganization is the O= of every CA the simulator creates.
const simOrganization = "KFPKI Test"

// leafBackdate is how far before "now" a leaf's NotBefore is set, to tolerate clock skew
// between the simulator and its clients. Inferred: AD CS backdates by its clock-skew setting;
// 30 seconds (Vault's own PKI default) keeps short-lived templates' lifetime close to nominal.
const leafBackdate = 30 * time.Second

// caEntry is one CA of the in-memory hierarchy: the root or an issuing CA.
type caEntry struct {
	id                     int // CertificateAuthority Id (0 for the root, which Command does not list as a CA)
	hostName, logicalName  string
	allowedEnrollmentTypes int
	cert                   *x509.Certificate
	key                    crypto.Signer
	parent                 *caEntry
	certID                 int    // inventory Id of the CA certificate
	crlURL                 string // where this CA's CRL is served
	crlNumber              atomic.Int64
	leaves                 atomic.Int64 // leaves signed so far; every second one has a top-bit serial
}

// qualifiedName is the "host\logical" form Command uses in enrollment.
func (ca *caEntry) qualifiedName() string { return ca.hostName + `\` + ca.logicalName }

// chain returns the CA's certificate followed by its issuers up to the root.
func (ca *caEntry) chain() []*x509.Certificate {
	var out []*x509.Certificate
	for c := ca; c != nil; c = c.parent {
		out = append(out, c.cert)
	}
	return out
}

func generateKey(keyType string, bits int) (crypto.Signer, error) {
	switch strings.ToUpper(keyType) {
	case "EC", "ECC", "ECDSA":
		curve := elliptic.P256()
		if bits == 384 {
			curve = elliptic.P384()
		}
		return ecdsa.GenerateKey(curve, rand.Reader)
	default:
		if bits == 0 {
			bits = 2048
		}
		return rsa.GenerateKey(rand.Reader, bits)
	}
}

// randomSerial returns a positive 19-byte serial whose first byte is never zero, so its hex
// form has a fixed length like AD CS serials. With topBit the first byte's high bit is set, so
// the DER INTEGER needs a leading 00 sign octet (see serialText).
func randomSerial(topBit bool) (*big.Int, error) {
	b := make([]byte, 19)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	b[0] = b[0]&0x3f | 0x40
	if topBit {
		b[0] |= 0x80
	}
	return new(big.Int).SetBytes(b), nil
}

func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

// crlURLFor is the distribution point served for the CA whose certificate CN is name.
func crlURLFor(baseURL, name string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return u.JoinPath("CRL", name+".crl").String()
}

// caCertSpec describes one CA certificate of the simulated hierarchy.
type caCertSpec struct {
	commonName     string
	keyType        string
	keyBits        int
	years          int
	parent         *caEntry // nil: self-signed
	crlURLs        []string // where relying parties find the parent's CRL
	maxPathLenZero bool
	subject        *pkix.Name // nil: CN=commonName, O=simOrganization
}

// newCACertificate makes a CA key and its certificate, backdated an hour like the leaves.
func newCACertificate(spec caCertSpec, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := generateKey(spec.keyType, spec.keyBits)
	if err != nil {
		return nil, nil, err
	}
	serial, err := randomSerial(false)
	if err != nil {
		return nil, nil, err
	}
	ski, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               caSubject(spec),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(spec.years, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        spec.maxPathLenZero,
		SubjectKeyId:          ski,
		CRLDistributionPoints: spec.crlURLs,
	}
	issuer, signer := tmpl, key
	if spec.parent != nil {
		issuer, signer = spec.parent.cert, spec.parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func caSubject(spec caCertSpec) pkix.Name {
	if spec.subject != nil {
		return *spec.subject
	}
	return pkix.Name{CommonName: spec.commonName, Organization: []string{simOrganization}}
}

// inventoryCASubject is the subject an inventory CA asks for: AD CS-like (CN and DC components)
// when it names domain components, else CN and O, plus E when it names an e-mail address.
func inventoryCASubject(spec InventoryCA) *pkix.Name {
	var rdns pkix.RDNSequence
	add := func(oid asn1.ObjectIdentifier, value string) {
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: value}})
	}
	if len(spec.DomainComponents) > 0 {
		// Least specific first in the encoding, so .NET prints CN=…, DC=corp, DC=example, …
		for i := len(spec.DomainComponents) - 1; i >= 0; i-- {
			add(oidDomainComponent, spec.DomainComponents[i])
		}
	} else {
		add(oidOrganization, simOrganization)
	}
	add(oidCommonName, spec.LogicalName)
	if spec.Email != "" {
		// IA5String, as RFC 5280 requires for emailAddress.
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oidEmailAddress, Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(spec.Email)}}})
	}
	var name pkix.Name
	name.FillFromRDNSequence(&rdns)
	name.ExtraNames = name.Names
	return &name
}

var (
	oidCommonName      = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOrganization    = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidEmailAddress    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidDomainComponent = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
)

// newRootCA creates the self-signed root of the issuing hierarchy.
func newRootCA(baseURL string, now time.Time) (*caEntry, error) {
	cert, key, err := newCACertificate(caCertSpec{commonName: RootCAName, keyType: "RSA", keyBits: 2048, years: 20}, now)
	if err != nil {
		return nil, err
	}
	return &caEntry{logicalName: RootCAName, cert: cert, key: key, crlURL: crlURLFor(baseURL, RootCAName)}, nil
}

// newIssuingCA creates an issuing CA signed by root; its CN is the logical name.
func newIssuingCA(root *caEntry, spec InventoryCA, baseURL string, now time.Time) (*caEntry, error) {
	cert, key, err := newCACertificate(caCertSpec{
		commonName: spec.LogicalName, keyType: spec.KeyType, keyBits: spec.KeyBits, years: 10,
		parent: root, crlURLs: []string{root.crlURL}, maxPathLenZero: true, subject: inventoryCASubject(spec),
	}, now)
	if err != nil {
		return nil, err
	}
	allowed := spec.AllowedEnrollmentTypes
	if allowed == 0 {
		allowed = EnrollmentTypeCSR | EnrollmentTypePFX
	}
	return &caEntry{
		hostName: spec.HostName, logicalName: spec.LogicalName, allowedEnrollmentTypes: allowed,
		cert: cert, key: key, parent: root, crlURL: crlURLFor(baseURL, spec.LogicalName),
	}, nil
}

// leafRequest is everything the CA needs to sign one leaf.
type leafRequest struct {
	csr      *x509.CertificateRequest
	dnsNames []string
	ips      []net.IP
	uris     []*url.URL
	emails   []string
	validity time.Duration
}

// issueLeaf signs a leaf for req. It does not touch the inventory, so it runs outside the lock.
func (ca *caEntry) issueLeaf(req leafRequest, now time.Time) (*x509.Certificate, error) {
	serial, err := randomSerial(ca.leaves.Add(1)%2 == 0)
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(req.csr.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("CSR public key: %w", err)
	}
	notAfter := now.Add(req.validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter // a CA never issues past its own expiry
	}
	usage := x509.KeyUsageDigitalSignature
	if _, isRSA := req.csr.PublicKey.(*rsa.PublicKey); isRSA {
		usage |= x509.KeyUsageKeyEncipherment
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               req.csr.Subject,
		NotBefore:             now.Add(-leafBackdate),
		NotAfter:              notAfter,
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		SubjectKeyId:          ski,
		DNSNames:              req.dnsNames,
		IPAddresses:           req.ips,
		URIs:                  req.uris,
		EmailAddresses:        req.emails,
		CRLDistributionPoints: []string{ca.crlURL},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, req.csr.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// makeCRL signs a CRL listing entries; its number increases with every call.
func (ca *caEntry) makeCRL(entries []x509.RevocationListEntry, now time.Time) ([]byte, error) {
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(ca.crlNumber.Add(1)),
		ThisUpdate:                now,
		NextUpdate:                now.Add(24 * time.Hour), // Inferred: AD CS default CRL period is a week; a day keeps clients refreshing.
		RevokedCertificateEntries: entries,
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
}
