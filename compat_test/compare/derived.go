package compare

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// derivedFacts are facts about the answer as a whole that no single key shows: whether the
// returned leaf chains to a root through the returned CA certificates, and whether the returned
// private key belongs to the leaf. They appear in the tree as "data.~chain" and "data.~key_pair".
func derivedFacts(data map[string]interface{}) map[string]map[string]string {
	out := map[string]map[string]string{}
	certs, keys := materialOf(data["certificate"])
	var leaf *x509.Certificate
	var pool []*x509.Certificate
	for _, c := range certs {
		if leaf == nil && !c.IsCA {
			leaf = c
			continue
		}
		pool = append(pool, c)
	}
	if leaf == nil {
		return out
	}
	for _, k := range []string{"issuing_ca", "ca_chain"} {
		more, _ := materialOf(data[k])
		pool = append(pool, more...)
	}
	out["~chain"] = ChainFacts(leaf, pool)
	_, moreKeys := materialOf(data["private_key"])
	keys = append(keys, moreKeys...)
	if len(keys) > 0 {
		out["~key_pair"] = map[string]string{"matches_certificate": fmt.Sprint(keyMatches(keys[0], leaf))}
	}
	return out
}

// ChainFacts verifies leaf against the self-signed certificates of pool (the others serve as
// intermediates) and reports the verified chain's length and root.
func ChainFacts(leaf *x509.Certificate, pool []*x509.Certificate) map[string]string {
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	haveRoot := false
	for _, c := range pool {
		if c.Subject.String() == c.Issuer.String() && c.CheckSignatureFrom(c) == nil {
			roots.AddCert(c)
			haveRoot = true
		} else {
			inter.AddCert(c)
		}
	}
	if !haveRoot {
		return map[string]string{"verifies": "no root in the answer"}
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   leaf.NotBefore.Add(time.Second),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return map[string]string{"verifies": "false: " + err.Error()}
	}
	chain := chains[0]
	return map[string]string{
		"verifies": "true",
		"length":   fmt.Sprint(len(chain)),
		"root":     chain[len(chain)-1].Subject.String(),
	}
}

// materialOf extracts the certificates and private keys held in a value: a PEM string, a base64
// DER string, or an array of either.
func materialOf(v interface{}) ([]*x509.Certificate, []crypto.Signer) {
	var certs []*x509.Certificate
	var keys []crypto.Signer
	switch t := v.(type) {
	case []interface{}:
		for _, e := range t {
			c, k := materialOf(e)
			certs = append(certs, c...)
			keys = append(keys, k...)
		}
	case string:
		if !strings.Contains(t, "-----BEGIN") {
			der, err := base64.StdEncoding.DecodeString(t)
			if err != nil {
				return nil, nil
			}
			if c, err := x509.ParseCertificate(der); err == nil {
				return []*x509.Certificate{c}, nil
			}
			for _, kind := range []string{"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"} {
				if k, err := parsePrivateKey(kind, der); err == nil {
					return nil, []crypto.Signer{k}
				}
			}
			return nil, nil
		}
		rest := []byte(t)
		for {
			block, next := pem.Decode(rest)
			if block == nil {
				break
			}
			rest = next
			if block.Type == "CERTIFICATE" {
				if c, err := x509.ParseCertificate(block.Bytes); err == nil {
					certs = append(certs, c)
				}
			} else if strings.HasSuffix(block.Type, "PRIVATE KEY") {
				if k, err := parsePrivateKey(block.Type, block.Bytes); err == nil {
					keys = append(keys, k)
				}
			}
		}
	}
	return certs, keys
}

func keyMatches(key crypto.Signer, cert *x509.Certificate) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	return ok && pub.Equal(cert.PublicKey)
}
