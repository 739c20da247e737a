package commandtest

import (
	"crypto/x509"
	"encoding/asn1"
)

// PKCS#7 "certs-only" SignedData (RFC 2315 / RFC 5652 degenerate case): no signers, no content,
// only the certificates. This is what Windows and Command produce for a .p7b.

var (
	oidPKCS7Data       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidPKCS7SignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
)

type pkcs7ContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // [0] EXPLICIT, built by hand: asn1 ignores tags on RawValue
}

type pkcs7SignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue // SET OF AlgorithmIdentifier (empty)
	ContentInfo      pkcs7InnerContent
	Certificates     asn1.RawValue // [0] IMPLICIT SET OF Certificate
	SignerInfos      asn1.RawValue // SET OF SignerInfo (empty)
}

type pkcs7InnerContent struct {
	ContentType asn1.ObjectIdentifier
}

var emptySet = asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: []byte{}}

// encodePKCS7CertsOnly returns the DER of a certs-only SignedData holding certs in order.
func encodePKCS7CertsOnly(certs []*x509.Certificate) ([]byte, error) {
	var raw []byte
	for _, c := range certs {
		raw = append(raw, c.Raw...)
	}
	sd := pkcs7SignedData{
		Version:          1,
		DigestAlgorithms: emptySet,
		ContentInfo:      pkcs7InnerContent{ContentType: oidPKCS7Data},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: raw},
		SignerInfos:      emptySet,
	}
	inner, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(pkcs7ContentInfo{
		ContentType: oidPKCS7SignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner},
	})
}
