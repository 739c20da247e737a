package compare

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"sort"
	"strings"
	"time"
)

// pemFacts parses every PEM block of s. Facts are prefixed "block[i]." so a bundle (key, leaf,
// chain) is compared block by block; text around the blocks and a trailing newline are facts
// too, because native trims its PEM and clients concatenate it.
func pemFacts(s string) map[string]string {
	facts := map[string]string{
		"trimmed": fmt.Sprint(strings.TrimSpace(s) == s),
	}
	rest := []byte(s)
	i := 0
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		prefix := fmt.Sprintf("block[%d].", i)
		facts[prefix+"pem_type"] = block.Type
		for k, v := range blockFacts(block.Type, block.Bytes) {
			facts[prefix+k] = v
		}
		rest = next
		i++
	}
	facts["blocks"] = fmt.Sprint(i)
	if strings.TrimSpace(string(rest)) != "" {
		facts["text_after_blocks"] = "present"
	}
	return facts
}

// derFacts parses a DER value of unknown kind: certificate, CRL or private key.
func derFacts(der []byte) map[string]string {
	if len(der) == 0 {
		return map[string]string{"encoding": "empty"}
	}
	for _, kind := range []string{"CERTIFICATE", "X509 CRL", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"} {
		if facts := blockFacts(kind, der); facts["parse_error"] == "" {
			facts["encoding"] = "der " + kind
			return facts
		}
	}
	return map[string]string{"encoding": fmt.Sprintf("unparsable, %d bytes", len(der))}
}

// blockFacts parses one DER object of the given PEM type.
func blockFacts(pemType string, der []byte) map[string]string {
	switch pemType {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return map[string]string{"parse_error": err.Error()}
		}
		return CertificateFacts(cert)
	case "X509 CRL":
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return map[string]string{"parse_error": err.Error()}
		}
		return crlFacts(crl)
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
		key, err := parsePrivateKey(pemType, der)
		if err != nil {
			return map[string]string{"parse_error": err.Error()}
		}
		return map[string]string{"key": publicKeyName(key.Public())}
	case "CERTIFICATE REQUEST":
		csr, err := x509.ParseCertificateRequest(der)
		if err != nil {
			return map[string]string{"parse_error": err.Error()}
		}
		return map[string]string{"subject": csr.Subject.String(), "key": publicKeyName(csr.PublicKey)}
	default:
		return map[string]string{"bytes": fmt.Sprint(len(der))}
	}
}

func parsePrivateKey(pemType string, der []byte) (crypto.Signer, error) {
	switch pemType {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(der)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("PKCS#8 key of type %T cannot sign", key)
	}
	return signer, nil
}

// CertificateFacts are the fields of a certificate that two correct engines issuing under the
// same CA must agree on. Serial, key, signature and exact times are left out; the lifetime is
// kept in whole hours.
func CertificateFacts(c *x509.Certificate) map[string]string {
	facts := map[string]string{
		"subject":             c.Subject.String(),
		"issuer":              c.Issuer.String(),
		"dns_names":           strings.Join(c.DNSNames, ","),
		"ip_addresses":        joinStringers(c.IPAddresses),
		"uris":                joinStringers(c.URIs),
		"email_addresses":     strings.Join(c.EmailAddresses, ","),
		"public_key":          publicKeyName(c.PublicKey),
		"signature_algorithm": c.SignatureAlgorithm.String(),
		"is_ca":               fmt.Sprint(c.IsCA),
		"self_signed":         fmt.Sprint(c.CheckSignatureFrom(c) == nil && c.Subject.String() == c.Issuer.String()),
		"key_usage":           keyUsageNames(c.KeyUsage),
		"ext_key_usage":       extKeyUsageNames(c.ExtKeyUsage),
		"authority_key_id":    hex.EncodeToString(c.AuthorityKeyId),
		"subject_key_id":      presence(len(c.SubjectKeyId) > 0),
		"lifetime_hours":      fmt.Sprint(int64(c.NotAfter.Sub(c.NotBefore).Round(time.Hour) / time.Hour)),
		"crl_distribution":    strings.Join(c.CRLDistributionPoints, ","),
		"ocsp_servers":        strings.Join(c.OCSPServer, ","),
		"issuing_cert_urls":   strings.Join(c.IssuingCertificateURL, ","),
		"version":             fmt.Sprint(c.Version),
	}
	return facts
}

func crlFacts(crl *x509.RevocationList) map[string]string {
	return map[string]string{
		"crl_issuer":        crl.Issuer.String(),
		"crl_revoked_count": fmt.Sprint(len(crl.RevokedCertificateEntries)),
		"crl_next_update":   presence(!crl.NextUpdate.IsZero()),
		"crl_aki":           hex.EncodeToString(crl.AuthorityKeyId),
	}
}

// publicKeyName is the algorithm and size of a public key, e.g. "RSA-2048", "ECDSA-P-256".
func publicKeyName(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA-" + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", pub)
	}
}

func presence(ok bool) string {
	if ok {
		return "present"
	}
	return "absent"
}

func joinStringers[S fmt.Stringer](items []S) string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.String())
	}
	return strings.Join(out, ",")
}

var keyUsageBits = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "DigitalSignature"},
	{x509.KeyUsageContentCommitment, "ContentCommitment"},
	{x509.KeyUsageKeyEncipherment, "KeyEncipherment"},
	{x509.KeyUsageDataEncipherment, "DataEncipherment"},
	{x509.KeyUsageKeyAgreement, "KeyAgreement"},
	{x509.KeyUsageCertSign, "CertSign"},
	{x509.KeyUsageCRLSign, "CRLSign"},
	{x509.KeyUsageEncipherOnly, "EncipherOnly"},
	{x509.KeyUsageDecipherOnly, "DecipherOnly"},
}

func keyUsageNames(ku x509.KeyUsage) string {
	var names []string
	for _, b := range keyUsageBits {
		if ku&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	return strings.Join(names, ",")
}

var extKeyUsageNamesByValue = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:             "Any",
	x509.ExtKeyUsageServerAuth:      "ServerAuth",
	x509.ExtKeyUsageClientAuth:      "ClientAuth",
	x509.ExtKeyUsageCodeSigning:     "CodeSigning",
	x509.ExtKeyUsageEmailProtection: "EmailProtection",
	x509.ExtKeyUsageTimeStamping:    "TimeStamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
}

func extKeyUsageNames(ekus []x509.ExtKeyUsage) string {
	names := make([]string, 0, len(ekus))
	for _, e := range ekus {
		if n, ok := extKeyUsageNamesByValue[e]; ok {
			names = append(names, n)
		} else {
			names = append(names, fmt.Sprintf("eku(%d)", e))
		}
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
