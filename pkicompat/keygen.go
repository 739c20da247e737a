package pkicompat

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// generatedKey is a private key made for one issue request. It lives only for the request:
// it goes into the response and is never stored.
type generatedKey struct {
	signer  crypto.Signer
	keyType string // rsa, ec or ed25519: the native private_key_type
}

// checkKeySpec refuses a key type or size this engine does not generate. Sizes follow native
// defaults: key_bits 0 means rsa 2048 or ec 256.
func checkKeySpec(keyType string, keyBits int) error {
	switch keyType {
	case "rsa", "":
		switch keyBits {
		case 0, 2048, 3072, 4096:
			return nil
		}
		return Invalid("role key_bits %d is not supported for rsa keys: use 2048, 3072 or 4096", keyBits)
	case "ec":
		if _, ok := ecCurves[keyBits]; ok {
			return nil
		}
		return Invalid("role key_bits %d is not supported for ec keys: use 224, 256, 384 or 521", keyBits)
	case "ed25519":
		return nil
	case "any":
		return Invalid(`role key type "any" not allowed for issuing certificates, only signing`)
	}
	return Invalid("role key_type %q is not supported: use rsa, ec or ed25519", keyType)
}

var ecCurves = map[int]elliptic.Curve{
	0:   elliptic.P256(),
	224: elliptic.P224(),
	256: elliptic.P256(),
	384: elliptic.P384(),
	521: elliptic.P521(),
}

// generateKey makes a key of the role's type and size.
func generateKey(keyType string, keyBits int) (*generatedKey, error) {
	if err := checkKeySpec(keyType, keyBits); err != nil {
		return nil, err
	}
	switch keyType {
	case "ec":
		k, err := ecdsa.GenerateKey(ecCurves[keyBits], rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating ec key: %w", err)
		}
		return &generatedKey{signer: k, keyType: "ec"}, nil
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating ed25519 key: %w", err)
		}
		return &generatedKey{signer: k, keyType: "ed25519"}, nil
	}
	if keyBits == 0 {
		keyBits = 2048
	}
	k, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("generating rsa key: %w", err)
	}
	return &generatedKey{signer: k, keyType: "rsa"}, nil
}

// marshal encodes the key as native does: RSA as PKCS#1 ("RSA PRIVATE KEY"), EC as SEC1
// ("EC PRIVATE KEY"), ed25519 as PKCS#8 ("PRIVATE KEY"); pkcs8 forces PKCS#8 for all.
func (k *generatedKey) marshal(pkcs8 bool) (der []byte, blockType string, err error) {
	if pkcs8 || k.keyType == "ed25519" {
		der, err = x509.MarshalPKCS8PrivateKey(k.signer)
		return der, "PRIVATE KEY", err
	}
	switch key := k.signer.(type) {
	case *rsa.PrivateKey:
		return x509.MarshalPKCS1PrivateKey(key), "RSA PRIVATE KEY", nil
	case *ecdsa.PrivateKey:
		der, err = x509.MarshalECPrivateKey(key)
		return der, "EC PRIVATE KEY", err
	}
	return nil, "", fmt.Errorf("unexpected key type %T", k.signer)
}

// pemString is the key as a trimmed PEM block (native responses carry no trailing newline).
func (k *generatedKey) pemString(pkcs8 bool) (string, error) {
	der, blockType, err := k.marshal(pkcs8)
	if err != nil {
		return "", fmt.Errorf("encoding private key: %w", err)
	}
	return trimPEM(&pem.Block{Type: blockType, Bytes: der}), nil
}

// csrSignatureAlgorithm honours the role's signature_bits and use_pss for RSA keys; other key
// types use the algorithm their curve implies. The CA signs the certificate with its own key,
// so this only affects the proof of possession in the CSR.
func csrSignatureAlgorithm(keyType string, signatureBits int, usePSS bool) x509.SignatureAlgorithm {
	if keyType != "rsa" {
		return x509.UnknownSignatureAlgorithm
	}
	switch {
	case signatureBits == 384 && usePSS:
		return x509.SHA384WithRSAPSS
	case signatureBits == 512 && usePSS:
		return x509.SHA512WithRSAPSS
	case usePSS:
		return x509.SHA256WithRSAPSS
	case signatureBits == 384:
		return x509.SHA384WithRSA
	case signatureBits == 512:
		return x509.SHA512WithRSA
	}
	return x509.SHA256WithRSA
}
