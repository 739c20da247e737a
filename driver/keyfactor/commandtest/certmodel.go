package commandtest

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
)

// certificateModel is Command's CertificateRetrievalResponse (GET /Certificates). Nullable fields are
// pointers without omitempty so they encode as null, as System.Text.Json does.
type certificateModel struct {
	ID                       int               `json:"Id"`
	Thumbprint               string            `json:"Thumbprint"`
	SerialNumber             string            `json:"SerialNumber"`
	IssuedDN                 *string           `json:"IssuedDN"`
	IssuedCN                 *string           `json:"IssuedCN"`
	ImportDate               stjTime           `json:"ImportDate"`
	NotBefore                stjTime           `json:"NotBefore"`
	NotAfter                 stjTime           `json:"NotAfter"`
	IssuerDN                 *string           `json:"IssuerDN"`
	PrincipalID              *int              `json:"PrincipalId"`
	TemplateID               *int              `json:"TemplateId"`
	CertState                int               `json:"CertState"`
	KeySizeInBits            int               `json:"KeySizeInBits"`
	KeyType                  int               `json:"KeyType"`
	RequesterID              int               `json:"RequesterId"`
	IssuedOU                 *string           `json:"IssuedOU"`
	IssuedEmail              *string           `json:"IssuedEmail"`
	KeyUsage                 int               `json:"KeyUsage"`
	SigningAlgorithm         string            `json:"SigningAlgorithm"`
	CertStateString          string            `json:"CertStateString"`
	KeyTypeString            string            `json:"KeyTypeString"`
	RevocationEffDate        *stjTime          `json:"RevocationEffDate"`
	RevocationReason         *int              `json:"RevocationReason"`
	RevocationComment        *string           `json:"RevocationComment"`
	CertificateAuthorityID   int               `json:"CertificateAuthorityId"`
	CertificateAuthorityName string            `json:"CertificateAuthorityName"`
	TemplateName             *string           `json:"TemplateName"`
	ArchivedKey              bool              `json:"ArchivedKey"`
	HasPrivateKey            bool              `json:"HasPrivateKey"`
	PrincipalName            *string           `json:"PrincipalName"`
	CertRequestID            *int              `json:"CertRequestId"`
	RequesterName            *string           `json:"RequesterName"`
	ContentBytes             string            `json:"ContentBytes"`
	ExtendedKeyUsages        []ekuModel        `json:"ExtendedKeyUsages"`
	SubjectAltNameElements   []sanModel        `json:"SubjectAltNameElements"`
	CRLDistributionPoints    []cdpModel        `json:"CRLDistributionPoints"`
	LocationsCount           []locationsCount  `json:"LocationsCount"`
	SSLLocations             []struct{}        `json:"SSLLocations"`
	Locations                []struct{}        `json:"Locations"`
	Metadata                 map[string]string `json:"Metadata"`
	CertificateKeyID         int               `json:"CertificateKeyId"`
	CARowIndex               int64             `json:"CARowIndex"`
	CARecordID               *string           `json:"CARecordId"`
	DetailedKeyUsage         detailedKeyUsage  `json:"DetailedKeyUsage"`
	KeyRecoverable           bool              `json:"KeyRecoverable"`
	Curve                    *string           `json:"Curve"`
	*certificateModel25                        // Command 25 additions; absent before
}

type certificateModel25 struct {
	OwnerRoleID         *int    `json:"OwnerRoleId"`
	OwnerRoleName       *string `json:"OwnerRoleName"`
	HasAltPrivateKey    bool    `json:"HasAltPrivateKey"`
	EnrollmentPatternID *int    `json:"EnrollmentPatternId"`
}

type ekuModel struct {
	ID          int    `json:"Id"`
	Oid         string `json:"Oid"`
	DisplayName string `json:"DisplayName"`
}

type sanModel struct {
	ID        int     `json:"Id"`
	Value     string  `json:"Value"`
	Type      int     `json:"Type"`
	ValueHash *string `json:"ValueHash"`
}

type cdpModel struct {
	ID      int     `json:"Id"`
	URL     string  `json:"Url"`
	URLHash *string `json:"UrlHash"`
}

type locationsCount struct {
	Type  string `json:"Type"`
	Count int    `json:"Count"`
}

type detailedKeyUsage struct {
	CrlSign          bool   `json:"CrlSign"`
	DataEncipherment bool   `json:"DataEncipherment"`
	DecipherOnly     bool   `json:"DecipherOnly"`
	DigitalSignature bool   `json:"DigitalSignature"`
	EncipherOnly     bool   `json:"EncipherOnly"`
	KeyAgreement     bool   `json:"KeyAgreement"`
	KeyCertSign      bool   `json:"KeyCertSign"`
	KeyEncipherment  bool   `json:"KeyEncipherment"`
	NonRepudiation   bool   `json:"NonRepudiation"`
	HexCode          string `json:"HexCode"`
}

// Inferred: SubjectAltNameElements.Type uses the Windows CERT_ALT_NAME_* numbers, since Command
// reads SANs through the Windows certificate APIs.
const (
	sanTypeRFC822 = 2
	sanTypeDNS    = 3
	sanTypeURI    = 7
	sanTypeIP     = 8
)

// Inferred: KeyType integers (not evidenced): 1 RSA, 3 ECC (DSA would be 2).
const (
	keyTypeRSA = 1
	keyTypeECC = 3
)

var ekuNames = map[x509.ExtKeyUsage]struct{ oid, name string }{
	x509.ExtKeyUsageServerAuth:      {"1.3.6.1.5.5.7.3.1", "Server Authentication"},
	x509.ExtKeyUsageClientAuth:      {"1.3.6.1.5.5.7.3.2", "Client Authentication"},
	x509.ExtKeyUsageCodeSigning:     {"1.3.6.1.5.5.7.3.3", "Code Signing"},
	x509.ExtKeyUsageEmailProtection: {"1.3.6.1.5.5.7.3.4", "Secure Email"},
	x509.ExtKeyUsageOCSPSigning:     {"1.3.6.1.5.5.7.3.9", "OCSP Signing"},
}

// dotNetKeyUsage converts Go's key usage bits to .NET's X509KeyUsageFlags value.
func dotNetKeyUsage(ku x509.KeyUsage) (int, detailedKeyUsage) {
	d := detailedKeyUsage{
		DigitalSignature: ku&x509.KeyUsageDigitalSignature != 0,
		NonRepudiation:   ku&x509.KeyUsageContentCommitment != 0,
		KeyEncipherment:  ku&x509.KeyUsageKeyEncipherment != 0,
		DataEncipherment: ku&x509.KeyUsageDataEncipherment != 0,
		KeyAgreement:     ku&x509.KeyUsageKeyAgreement != 0,
		KeyCertSign:      ku&x509.KeyUsageCertSign != 0,
		CrlSign:          ku&x509.KeyUsageCRLSign != 0,
		EncipherOnly:     ku&x509.KeyUsageEncipherOnly != 0,
		DecipherOnly:     ku&x509.KeyUsageDecipherOnly != 0,
	}
	v := 0
	for _, f := range []struct {
		on  bool
		bit int
	}{
		{d.DigitalSignature, 0x80}, {d.NonRepudiation, 0x40}, {d.KeyEncipherment, 0x20},
		{d.DataEncipherment, 0x10}, {d.KeyAgreement, 0x08}, {d.KeyCertSign, 0x04},
		{d.CrlSign, 0x02}, {d.EncipherOnly, 0x01}, {d.DecipherOnly, 0x8000},
	} {
		if f.on {
			v |= f.bit
		}
	}
	d.HexCode = fmt.Sprintf("%02x", v)
	return v, d
}

// keyInfo describes a certificate's public key the way Command lists it.
func keyInfo(cert *x509.Certificate) (keyType int, typeString string, bits int, curve *string) {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		return keyTypeRSA, "RSA", pub.N.BitLen(), nil
	case *ecdsa.PublicKey:
		// Inferred: Curve carries the curve OID, as Command's template Curve field does.
		oid := map[int]string{256: "1.2.840.10045.3.1.7", 384: "1.3.132.0.34", 521: "1.3.132.0.35"}[pub.Curve.Params().BitSize]
		return keyTypeECC, "ECC", pub.Curve.Params().BitSize, &oid
	}
	return 0, "Unknown", 0, nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// modelOptions are the include* switches of the certificate endpoints.
type modelOptions struct {
	includeMetadata  bool
	includeLocations bool
}

// certificateModelOf renders rec. The caller holds the store lock.
func (s *Server) certificateModelOf(rec *certRecord, mo modelOptions) certificateModel {
	c := rec.cert
	kt, kts, bits, curve := keyInfo(c)
	ku, dku := dotNetKeyUsage(c.KeyUsage)
	issuedDN := dotNetDNCompact(c.RawSubject)
	issuerDN := dotNetDNCompact(c.RawIssuer)
	m := certificateModel{
		ID:                     rec.id,
		Thumbprint:             rec.thumbprint,
		SerialNumber:           rec.serialHex,
		IssuedDN:               optString(issuedDN),
		IssuedCN:               optString(c.Subject.CommonName),
		ImportDate:             stjTime(rec.importDate),
		NotBefore:              stjTime(c.NotBefore),
		NotAfter:               stjTime(c.NotAfter),
		IssuerDN:               optString(issuerDN),
		CertState:              rec.state,
		KeySizeInBits:          bits,
		KeyType:                kt,
		KeyTypeString:          kts,
		KeyUsage:               ku,
		DetailedKeyUsage:       dku,
		SigningAlgorithm:       c.SignatureAlgorithm.String(),
		CertStateString:        certStateNames[rec.state],
		RevocationEffDate:      stjTimePtr(rec.revocationDate),
		RevocationReason:       rec.revocationReason,
		RevocationComment:      rec.revocationComment,
		RequesterName:          optString(rec.requester),
		ContentBytes:           base64.StdEncoding.EncodeToString(c.Raw),
		ExtendedKeyUsages:      []ekuModel{},
		SubjectAltNameElements: []sanModel{},
		CRLDistributionPoints:  []cdpModel{},
		LocationsCount:         []locationsCount{},
		SSLLocations:           []struct{}{},
		Locations:              []struct{}{},
		Metadata:               map[string]string{},
		CARowIndex:             int64(rec.requestID),
		Curve:                  curve,
	}
	if len(c.Subject.OrganizationalUnit) > 0 {
		m.IssuedOU = optString(strings.Join(c.Subject.OrganizationalUnit, ", "))
	}
	if len(c.EmailAddresses) > 0 {
		m.IssuedEmail = optString(c.EmailAddresses[0])
	}
	if rec.issuer != nil && rec.issuer.id != 0 && !rec.issuer.cert.Equal(c) {
		m.CertificateAuthorityID = rec.issuer.id
		m.CertificateAuthorityName = rec.issuer.logicalName
	}
	if rec.template != nil {
		id := rec.template.id
		m.TemplateID = &id
		m.TemplateName = optString(rec.template.displayName)
	}
	if rec.requestID != 0 {
		id := rec.requestID
		m.CertRequestID = &id
		m.CARecordID = optString(fmt.Sprint(rec.requestID - firstRequestID + 1))
	}
	for i, eku := range c.ExtKeyUsage {
		if n, ok := ekuNames[eku]; ok {
			m.ExtendedKeyUsages = append(m.ExtendedKeyUsages, ekuModel{ID: i + 1, Oid: n.oid, DisplayName: n.name})
		}
	}
	id := 0
	addSAN := func(value string, typ int) {
		id++
		m.SubjectAltNameElements = append(m.SubjectAltNameElements, sanModel{ID: id, Value: value, Type: typ})
	}
	for _, v := range c.DNSNames {
		addSAN(v, sanTypeDNS)
	}
	for _, v := range c.IPAddresses {
		addSAN(v.String(), sanTypeIP)
	}
	for _, v := range c.URIs {
		addSAN(v.String(), sanTypeURI)
	}
	for _, v := range c.EmailAddresses {
		addSAN(v, sanTypeRFC822)
	}
	for i, u := range c.CRLDistributionPoints {
		m.CRLDistributionPoints = append(m.CRLDistributionPoints, cdpModel{ID: i + 1, URL: u})
	}
	if mo.includeMetadata {
		for k, v := range rec.metadata {
			m.Metadata[k] = v
		}
	}
	if s.profile.enrollmentPatterns() {
		m25 := &certificateModel25{}
		if rec.pattern != nil {
			pid := rec.pattern.id
			m25.EnrollmentPatternID = &pid
		}
		m.certificateModel25 = m25
	}
	return m
}
