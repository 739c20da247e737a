package keyfactor

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// parseCertificateEntries reads the certificates of an enrollment answer. An entry may hold
// several PEM blocks, CRLF line ends and subject-header text before a block (pem.Decode skips
// it), or be bare base64 DER (x-certificateformat DER).
func parseCertificateEntries(entries []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for i, entry := range entries {
		certs, err := parseCertificateText([]byte(entry))
		if err != nil {
			return nil, fmt.Errorf("certificate %d of the answer: %w", i+1, err)
		}
		out = append(out, certs...)
	}
	return out, nil
}

// parseCertificateText reads PEM certificates from text, else treats the text as base64 DER.
func parseCertificateText(text []byte) ([]*x509.Certificate, error) {
	text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	var out []*x509.Certificate
	rest := text
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("unparsable PEM certificate: %v", err)
		}
		out = append(out, cert)
	}
	if len(out) > 0 {
		return out, nil
	}
	trimmed := strings.Join(strings.Fields(string(text)), "")
	if trimmed == "" {
		return nil, nil
	}
	der, err := base64.StdEncoding.DecodeString(trimmed)
	if err != nil {
		return nil, errors.New("neither PEM nor base64 DER")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("unparsable DER certificate: %v", err)
	}
	return []*x509.Certificate{cert}, nil
}

// parseDownloadContent reads the Content of POST /Certificates/Download: base64 of a PKCS#7
// bundle (P7B), of PEM text, or of one DER certificate.
func parseDownloadContent(content string) ([]*x509.Certificate, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(content), ""))
	if err != nil {
		return nil, errors.New("download content is not base64")
	}
	if certs, err := parsePKCS7Certificates(raw); err == nil && len(certs) > 0 {
		return certs, nil
	}
	if bytes.Contains(raw, []byte("-----BEGIN")) {
		return parseCertificateText(raw)
	}
	if cert, err := x509.ParseCertificate(raw); err == nil {
		return []*x509.Certificate{cert}, nil
	}
	return nil, errors.New("download content is neither PKCS#7, PEM nor DER")
}

// PKCS#7 (RFC 2315) structures, reduced to what a certificates-only bundle needs.
var oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

type pkcs7ContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

// pkcs7SignedData stops after the certificates: encoding/asn1 ignores the SEQUENCE's
// trailing elements (CRLs, SignerInfos), which a certificates-only bundle leaves empty anyway.
type pkcs7SignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	ContentInfo      asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
}

// parsePKCS7Certificates returns the certificates of a DER (or PEM "PKCS7") SignedData bundle.
func parsePKCS7Certificates(data []byte) ([]*x509.Certificate, error) {
	if block, _ := pem.Decode(data); block != nil {
		data = block.Bytes
	}
	var info pkcs7ContentInfo
	if _, err := asn1.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("not PKCS#7: %v", err)
	}
	if !info.ContentType.Equal(oidSignedData) {
		return nil, errors.New("PKCS#7 content is not SignedData")
	}
	var sd pkcs7SignedData
	if _, err := asn1.Unmarshal(info.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("PKCS#7 SignedData: %v", err)
	}
	if len(sd.Certificates.Bytes) == 0 {
		return nil, nil
	}
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil {
		return nil, fmt.Errorf("PKCS#7 certificates: %v", err)
	}
	return certs, nil
}
