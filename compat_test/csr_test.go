package compattest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// csrPEM builds a PEM CSR for cn and dnsNames signed by key. The same CSR goes to both engines.
func csrPEM(t *testing.T, key crypto.Signer, cn string, dnsNames ...string) string {
	t.Helper()
	_, text := testcerts.CSR(t, key, testcerts.Names(cn, dnsNames...))
	return text
}

func mustECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate EC key: %v", err)
	}
	return k
}
