package pkicompat

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
)

// minimumRSABits is the smallest RSA key native PKI signs, whatever the role says.
const minimumRSABits = 2048

// checkCSRKey applies the role's key_type and key_bits to the key of a CSR on the sign paths,
// with native's rules and texts: the type must match (any type for "any"), and RSA and EC keys
// must be at least key_bits long (for "any": RSA 2048, EC 224).
func (r *roleEntry) checkCSRKey(csr *x509.CertificateRequest) error {
	if csr == nil {
		return Invalid("no CSR given")
	}
	if csr.PublicKeyAlgorithm == x509.UnknownPublicKeyAlgorithm || csr.PublicKey == nil {
		return Invalid("Refusing to sign CSR with empty PublicKey. This usually means the SubjectPublicKeyInfo field has an OID not recognized by Go, such as 1.2.840.113549.1.1.10 for rsaPSS.")
	}

	keyType := roleKeyTypeOf(csr.PublicKeyAlgorithm)
	switch r.KeyType {
	case "rsa", "ec", "ed25519":
		if keyType != r.KeyType {
			return Invalid("role requires keys of type %s", r.KeyType)
		}
	case "any":
		if keyType == "" {
			return Invalid("Unknown key type in CSR: %s", csr.PublicKeyAlgorithm.String())
		}
	default:
		return Invalid("unsupported key type value: %s", r.KeyType)
	}
	keyBits, err := csrKeyBits(csr)
	if err != nil {
		return err
	}

	minBits := r.KeyBits
	if r.KeyType == "any" {
		// With "any", the role's key_bits is ignored and the native minimums apply.
		switch keyType {
		case "rsa":
			if keyBits < minimumRSABits {
				return Invalid("RSA keys < 2048 bits are unsafe and not supported")
			}
			minBits = minimumRSABits
		case "ec":
			minBits = 224
		default:
			minBits = 0
		}
	}

	switch keyType {
	case "rsa":
		if keyBits < minBits {
			return Invalid("role requires a minimum of a %d-bit key, but CSR's key is %d bits", minBits, keyBits)
		}
		if keyBits < minimumRSABits {
			return Invalid("Vault requires a minimum of a 2048-bit key, but CSR's key is %d bits", keyBits)
		}
	case "ec":
		if keyBits < minBits {
			return Invalid("role requires a minimum of a %d-bit key, but CSR's key is %d bits", minBits, keyBits)
		}
	}
	return nil
}

// roleKeyTypeOf names a public key algorithm in role terms; "" for algorithms roles cannot name.
func roleKeyTypeOf(alg x509.PublicKeyAlgorithm) string {
	switch alg {
	case x509.RSA:
		return "rsa"
	case x509.ECDSA:
		return "ec"
	case x509.Ed25519:
		return "ed25519"
	default:
		return ""
	}
}

// csrKeyBits is the size of a CSR's RSA or EC key in bits (0 for ed25519).
func csrKeyBits(csr *x509.CertificateRequest) (int, error) {
	switch key := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if key.N != nil {
			return key.N.BitLen(), nil
		}
	case *ecdsa.PublicKey:
		if key.Curve != nil {
			return key.Curve.Params().BitSize, nil
		}
	case ed25519.PublicKey:
		return 0, nil
	}
	return 0, Invalid("could not parse CSR's public key")
}
