// Command devenv runs the product end to end on this machine: the Keyfactor Command simulator,
// a real Vault dev server, and this plugin registered by sha256 and mounted at pki/ — the path a
// team would swap it into.
//
//	-mode demo  configure, issue one certificate, print it, stop everything, exit 0
//	-mode dev   the same setup left running until Ctrl-C, with the commands to try
package main

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
)

const mount = "pki"

func main() {
	mode := flag.String("mode", "demo", "demo (one certificate, then stop) or dev (leave running)")
	flag.Parse()
	if err := run(*mode); err != nil {
		fmt.Fprintln(os.Stderr, "devenv:", err)
		os.Exit(1)
	}
}

func run(mode string) error {
	if mode != "demo" && mode != "dev" {
		return fmt.Errorf("-mode must be demo or dev, not %q", mode)
	}
	bins, err := realvault.BinariesFromEnv()
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	fmt.Println("==> starting the Keyfactor Command simulator and a Vault dev server")
	startCtx, stopStart := context.WithTimeout(ctx, 3*time.Minute)
	env, err := realvault.Start(startCtx, realvault.Options{Binaries: bins})
	stopStart()
	if err != nil {
		return err
	}
	defer env.Close()

	fmt.Printf("==> plugin registered: vault plugin register -sha256=%s secret %s\n", env.PluginSHA256, realvault.PluginName)
	if err := runStep(env, "secrets", "enable", "-path="+mount, realvault.PluginName); err != nil {
		return err
	}
	fmt.Printf("==> vault write %s/config url=%s username=%s domain=%s ca=%s template=%s ...\n",
		mount, env.Sim.URL, env.Sim.Username, env.Sim.Domain, env.Sim.CA, env.Sim.Template)
	if err := env.ConfigureBasic(mount); err != nil {
		return err
	}
	roleArgs := []string{"write", mount + "/roles/web", "allowed_domains=example.com", "allow_subdomains=true", "max_ttl=720h"}
	fmt.Printf("==> vault %s\n", joinArgs(roleArgs))
	// The role write answers the whole role (as native does); the demo shows only the verdict.
	if _, err := env.Vault(roleArgs...); err != nil {
		return err
	}
	fmt.Println("Role web written: names under example.com, issued by the Command simulator's CA.")

	if mode == "demo" {
		return demo(env)
	}
	return dev(ctx, env)
}

func runStep(env *realvault.Env, args ...string) error {
	fmt.Printf("==> vault %s\n", joinArgs(args))
	out, err := env.Vault(args...)
	fmt.Print(out)
	return err
}

func demo(env *realvault.Env) error {
	args := []string{"write", mount + "/issue/web", "common_name=demo.example.com", "alt_names=www.demo.example.com"}
	fmt.Printf("==> vault %s\n", joinArgs(args))
	var secret struct {
		Data struct {
			Certificate  string   `json:"certificate"`
			IssuingCA    string   `json:"issuing_ca"`
			CAChain      []string `json:"ca_chain"`
			SerialNumber string   `json:"serial_number"`
			Expiration   int64    `json:"expiration"`
		} `json:"data"`
	}
	if err := env.VaultJSON(&secret, args...); err != nil {
		return err
	}
	leaf, err := parsePEM(secret.Data.Certificate)
	if err != nil {
		return err
	}
	rootPEM, err := os.ReadFile(env.Sim.RootCA)
	if err != nil {
		return err
	}
	root, err := parsePEM(string(rootPEM))
	if err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, c := range secret.Data.CAChain {
		if cert, err := parsePEM(c); err == nil {
			inter.AddCert(cert)
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	_, verifyErr := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})

	fmt.Println(secret.Data.Certificate)
	fmt.Printf("subject:        %s\n", leaf.Subject)
	fmt.Printf("DNS names:      %v\n", leaf.DNSNames)
	fmt.Printf("issuer:         %s (the simulated Keyfactor Command CA %s)\n", readableName(leaf.Issuer), env.Sim.CA)
	fmt.Printf("serial_number:  %s\n", secret.Data.SerialNumber)
	fmt.Printf("expiration:     %d (%s)\n", secret.Data.Expiration, time.Unix(secret.Data.Expiration, 0).UTC().Format(time.RFC3339))
	fmt.Printf("ca_chain:       %d certificates\n", len(secret.Data.CAChain))
	if verifyErr != nil {
		return fmt.Errorf("the issued certificate does not chain to the simulator's root: %w", verifyErr)
	}
	fmt.Printf("verified:       chains to %s\n", root.Subject)
	fmt.Println("==> demo complete; stopping Vault and the simulator")
	return nil
}

func dev(ctx context.Context, env *realvault.Env) error {
	fmt.Printf(`
The plugin is mounted at %[1]s/ on a Vault dev server, issuing from the Command simulator.

    export VAULT_ADDR=%[2]s
    export VAULT_TOKEN=%[3]s

Try:
    vault write %[1]s/issue/web common_name=www.example.com
    vault list %[1]s/certs
    vault read %[1]s/cert/<serial>
    vault write %[1]s/revoke serial_number=<serial>
    curl -s $VAULT_ADDR/v1/%[1]s/ca/pem
    vault read %[1]s/config

Simulator: %[4]s/%[5]s (user %[6]s\%[7]s); its admin API: %[8]s
Press Ctrl-C to stop everything.
`, mount, env.Addr, env.Token, env.Sim.URL, env.Sim.APIPath, env.Sim.Domain, env.Sim.Username, env.Sim.AdminURL)
	<-ctx.Done()
	fmt.Println("\n==> stopping Vault and the simulator")
	return nil
}

func parsePEM(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM block in the answer")
	}
	return x509.ParseCertificate(block.Bytes)
}

// joinArgs shows a command line the way a user would type it.
func joinArgs(args []string) string { return strings.Join(args, " ") }

// domainComponent is the DC attribute, which Go's pkix.Name.String prints as a dotted OID.
var domainComponent = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}

// readableName prints a DN as RFC 4514 does (last RDN first), with DC attributes named instead
// of "0.9.2342…=#…".
func readableName(name pkix.Name) string {
	parts := make([]string, 0, len(name.Names))
	for i := len(name.Names) - 1; i >= 0; i-- {
		atv := name.Names[i]
		if v, ok := atv.Value.(string); ok && atv.Type.Equal(domainComponent) {
			parts = append(parts, "DC="+v)
			continue
		}
		parts = append(parts, pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{atv}}.String())
	}
	return strings.Join(parts, ",")
}
