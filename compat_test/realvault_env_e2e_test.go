package compattest

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
)

// startRealVault starts the simulator and a real Vault dev server with the plugin registered,
// and stops both when the test ends, whether it passed or not. A missing binary fails the test:
// `make test` builds them, and a compatibility claim without the real server is no claim.
func startRealVault(t *testing.T, simArgs ...string) *realvault.Env {
	t.Helper()
	bins, err := realvault.BinariesFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env, err := realvault.Start(ctx, realvault.Options{Binaries: bins, SimArgs: simArgs})
	if err != nil {
		t.Fatalf("starting the real environment: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process output:\n%s", env.Logs())
		}
		env.Close()
	})
	return env
}

// mustVault runs the vault CLI and fails the test on a non-zero exit.
func mustVault(t *testing.T, env *realvault.Env, args ...string) string {
	t.Helper()
	out, err := env.Vault(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustVaultJSON runs the vault CLI with JSON output and decodes it.
func mustVaultJSON(t *testing.T, env *realvault.Env, v interface{}, args ...string) {
	t.Helper()
	if err := env.VaultJSON(v, args...); err != nil {
		t.Fatal(err)
	}
}

// simRoot is the root of the simulator's issuing hierarchy, read from the file it wrote.
func simRoot(t *testing.T, env *realvault.Env) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(env.Sim.RootCA)
	if err != nil {
		t.Fatalf("reading the simulator's root: %v", err)
	}
	return parseCertPEM(t, string(raw))
}

func parseCertPEM(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", truncate(s, 120))
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parsing certificate: %v", err)
	}
	return cert
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// verifyChain checks that leaf chains to root through the PEM intermediates given.
func verifyChain(t *testing.T, leaf *x509.Certificate, chainPEM []string, root *x509.Certificate) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(root)
	inter := x509.NewCertPool()
	for _, p := range chainPEM {
		inter.AddCert(parseCertPEM(t, p))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("leaf %s does not verify against the simulator's root: %v", leaf.Subject, err)
	}
}

func errorContains(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected an error containing %q, got success", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("expected an error containing %q, got: %v", want, err)
	}
}
