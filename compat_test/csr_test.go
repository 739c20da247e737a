package compattest

import (
	"crypto"
	"crypto/ecdsa"
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
	return testcerts.ECKey(t)
}
