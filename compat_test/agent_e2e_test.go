package compattest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
)

// Vault Agent is the client most teams put in front of pki/: consul-template's pkiCert and
// `with secret` functions issue a certificate, render files, and re-issue before expiry using
// the answer's fields (certificate, issuing_ca, ca_chain, private_key, expiration). These tests
// run a real agent
// against the plugin mounted at pki/.

// agentFiles are the files one template renders.
type agentFiles struct {
	name        string
	cert, key   string
	ca          string
	destination string
}

func newAgentFiles(dir, name string) agentFiles {
	base := filepath.Join(dir, name)
	return agentFiles{
		name:        name,
		cert:        filepath.Join(base, "cert.pem"),
		key:         filepath.Join(base, "key.pem"),
		ca:          filepath.Join(base, "ca.pem"),
		destination: filepath.Join(base, "bundle.pem"),
	}
}

// agentWriteToFile is a consul-template pipeline stage writing the piped value to path. Paths are
// quoted with strconv.Quote, which is Go template string-literal syntax.
func agentWriteToFile(value, path, perms string) string {
	return fmt.Sprintf("{{- %s | writeToFile %s \"\" \"\" %s -}}\n", value, strconv.Quote(path), strconv.Quote(perms))
}

// pkiCertTemplate renders with pkiCert. The destination holds the certificate itself because
// pkiCert reads it back to decide when to re-issue.
func pkiCertTemplate(path, commonName string, f agentFiles) realvault.AgentTemplate {
	var sb strings.Builder
	fmt.Fprintf(&sb, "{{- with pkiCert %s %s -}}\n", strconv.Quote(path), strconv.Quote("common_name="+commonName))
	sb.WriteString("{{ .Cert }}{{ .Key }}{{ range .CAChain }}{{ . }}{{ end }}\n")
	sb.WriteString(agentWriteToFile(".Cert", f.cert, "0644"))
	sb.WriteString(agentWriteToFile(".Key", f.key, "0600"))
	sb.WriteString(agentWriteToFile(".CA", f.ca, "0644"))
	sb.WriteString("{{- end -}}\n")
	return realvault.AgentTemplate{Contents: sb.String(), Destination: f.destination, Perms: "0600"}
}

// secretTemplate renders with `with secret`, ranging over ca_chain as templates in the wild do.
func secretTemplate(path, commonName string, f agentFiles) realvault.AgentTemplate {
	var sb strings.Builder
	fmt.Fprintf(&sb, "{{- with secret %s %s -}}\n", strconv.Quote(path), strconv.Quote("common_name="+commonName))
	sb.WriteString("{{ .Data.certificate }}\n{{ range .Data.ca_chain }}{{ . }}\n{{ end }}")
	sb.WriteString(agentWriteToFile(".Data.certificate", f.cert, "0644"))
	sb.WriteString(agentWriteToFile(".Data.private_key", f.key, "0600"))
	sb.WriteString(agentWriteToFile(".Data.issuing_ca", f.ca, "0644"))
	sb.WriteString("{{- end -}}\n")
	return realvault.AgentTemplate{Contents: sb.String(), Destination: f.destination, Perms: "0600"}
}

// caReadTemplate renders a `secret` READ (no k=v arguments) of cert/ca, as templates that only
// need the CA do; consul-template first probes sys/internal/ui/mounts for the mount type.
func caReadTemplate(path, destination string) realvault.AgentTemplate {
	contents := fmt.Sprintf("{{- with secret %s -}}{{ .Data.certificate }}{{- end -}}\n", strconv.Quote(path))
	return realvault.AgentTemplate{Contents: contents, Destination: destination}
}

// agentRendering is one consistent rendering: certificate and key that belong together, and the CA.
type agentRendering struct {
	leaf *x509.Certificate
	ca   *x509.Certificate
	dest []*x509.Certificate // certificates in the destination file
}

// readAgentRendering reads a template's files; an error means they are absent, partly written, or
// do not belong together (the agent writes them one after the other).
func readAgentRendering(f agentFiles) (*agentRendering, error) {
	certPEM, err := os.ReadFile(f.cert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(f.key)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("certificate and key do not match (yet): %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(f.ca)
	if err != nil {
		return nil, err
	}
	cas, err := agentParseCerts(caPEM)
	if err != nil || len(cas) != 1 {
		return nil, fmt.Errorf("%s holds %d certificates (%v), want the issuing CA", f.ca, len(cas), err)
	}
	destPEM, err := os.ReadFile(f.destination)
	if err != nil {
		return nil, err
	}
	dest, err := agentParseCerts(destPEM)
	if err != nil {
		return nil, err
	}
	if len(dest) == 0 || !dest[0].Equal(leaf) {
		return nil, errors.New("the destination file does not start with the rendered certificate (yet)")
	}
	return &agentRendering{leaf: leaf, ca: cas[0], dest: dest}, nil
}

// agentParseCerts parses every CERTIFICATE block of raw, skipping keys.
func agentParseCerts(raw []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		block, rest := pem.Decode(raw)
		if block == nil {
			return certs, nil
		}
		raw = rest
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cert)
	}
}

// checkAgentRendering verifies one rendering the way a TLS server using the files would need it.
func checkAgentRendering(t *testing.T, f agentFiles, r *agentRendering, commonName string, root *x509.Certificate) {
	t.Helper()
	if r.leaf.Subject.CommonName != commonName {
		t.Errorf("%s: CN %q, want %q", f.name, r.leaf.Subject.CommonName, commonName)
	}
	if r.ca.CheckSignatureFrom(root) != nil {
		t.Errorf("%s: ca.pem (%s) is not the issuing CA under the simulator's root", f.name, r.ca.Subject)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	inter.AddCert(r.ca)
	if _, err := r.leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("%s: the rendered certificate does not verify with ca.pem against the simulator's root: %v", f.name, err)
	}
	if top := r.dest[len(r.dest)-1]; !top.Equal(root) {
		t.Errorf("%s: the rendered chain ends with %s, want the simulator's root (ca_chain includes the root)", f.name, top.Subject)
	}
}

// TestVaultAgentRendersAndRenewsFromPlugin runs Vault Agent with a pkiCert template and a
// `with secret` template against the plugin at pki/, on a role whose Command template issues
// two-minute certificates. Both render files that verify against the simulator's root, and
// both render a new certificate before the first one expires.
func TestVaultAgentRendersAndRenewsFromPlugin(t *testing.T) {
	env := startRealVault(t)
	root := simRoot(t, env)
	if err := env.EnablePlugin("pki"); err != nil {
		t.Fatal(err)
	}
	if err := env.ConfigureBasic("pki"); err != nil {
		t.Fatal(err)
	}
	mustVault(t, env, "write", "pki/roles/short",
		"allowed_domains=example.com", "allow_subdomains=true", "template=ShortLived")

	// The role must really give short-lived certificates, or the renewal wait below would only
	// time out: check it first with one direct issuance.
	var probe vaultSecret
	mustVaultJSON(t, env, &probe, "write", "pki/issue/short", "common_name=probe.example.com")
	probeLeaf := parseCertPEM(t, probe.str(t, "certificate"))
	if life := probeLeaf.NotAfter.Sub(probeLeaf.NotBefore); life > 10*time.Minute {
		t.Fatalf("role short issued a certificate valid for %s; the ShortLived template gives 2 minutes", life)
	}

	dir := t.TempDir()
	pkiFiles := newAgentFiles(dir, "pkicert")
	secretFiles := newAgentFiles(dir, "secret")
	cases := []struct {
		files agentFiles
		cn    string
	}{
		{pkiFiles, "pkicert.example.com"},
		{secretFiles, "secret.example.com"},
	}
	caReadPath := filepath.Join(dir, "ca-read", "ca.pem")
	agent := startAgent(t, env, "pki", []realvault.AgentTemplate{
		pkiCertTemplate("pki/issue/short", "pkicert.example.com", pkiFiles),
		secretTemplate("pki/issue/short", "secret.example.com", secretFiles),
		caReadTemplate("pki/cert/ca", caReadPath),
	})

	// First rendering.
	first := map[string]*agentRendering{}
	deadline := time.Now().Add(90 * time.Second)
	for len(first) < len(cases) {
		for _, c := range cases {
			if first[c.files.name] != nil {
				continue
			}
			if r, err := readAgentRendering(c.files); err == nil {
				first[c.files.name] = r
			}
		}
		if len(first) == len(cases) {
			break
		}
		if agent.Exited() {
			t.Fatalf("the agent exited before rendering")
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not render %d templates within 90s (rendered: %d)", len(cases), len(first))
		}
		time.Sleep(time.Second)
	}
	for _, c := range cases {
		checkAgentRendering(t, c.files, first[c.files.name], c.cn, root)
	}
	// The READ template renders alongside.
	var caRead []byte
	var err error
	for readDeadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		if caRead, err = os.ReadFile(caReadPath); err == nil && len(caRead) > 0 {
			break
		}
		if time.Now().After(readDeadline) {
			t.Fatalf("the cert/ca read template did not render within 30s: %v", err)
		}
	}
	if readCA := parseCertPEM(t, string(caRead)); !readCA.Equal(first[pkiFiles.name].ca) {
		t.Errorf("secret \"pki/cert/ca\" rendered %s, want the issuing CA", readCA.Subject)
	}

	// Renewal: each template must render a new certificate (new serial) while the first one is
	// still valid. The wait is bounded by the first certificates' expiry plus a margin.
	latest := first[pkiFiles.name].leaf.NotAfter
	if na := first[secretFiles.name].leaf.NotAfter; na.After(latest) {
		latest = na
	}
	deadline = latest.Add(30 * time.Second)
	renewed := map[string]*agentRendering{}
	for len(renewed) < len(cases) {
		for _, c := range cases {
			if renewed[c.files.name] != nil {
				continue
			}
			r, err := readAgentRendering(c.files)
			if err != nil || r.leaf.SerialNumber.Cmp(first[c.files.name].leaf.SerialNumber) == 0 {
				continue
			}
			if old := first[c.files.name].leaf; !time.Now().Before(old.NotAfter) {
				t.Errorf("%s: the new certificate appeared only after the old one expired at %s", c.files.name, old.NotAfter)
			}
			renewed[c.files.name] = r
		}
		if len(renewed) == len(cases) {
			break
		}
		if agent.Exited() {
			t.Fatalf("the agent exited while waiting for renewal")
		}
		if time.Now().After(deadline) {
			var missing []string
			for _, c := range cases {
				if renewed[c.files.name] == nil {
					missing = append(missing, c.files.name)
				}
			}
			t.Fatalf("no new certificate rendered by %v before %s", missing, deadline.Format(time.RFC3339))
		}
		time.Sleep(2 * time.Second)
	}
	for _, c := range cases {
		checkAgentRendering(t, c.files, renewed[c.files.name], c.cn, root)
	}

	// Every certificate the agent received is in the mount's records, as with native PKI.
	listed := seedListKeys(t, env, "pki/certs")
	for _, set := range []map[string]*agentRendering{first, renewed} {
		for name, r := range set {
			serial := colonHex(r.leaf.SerialNumber.Bytes())
			if !slices.Contains(listed, serial) {
				t.Errorf("%s: serial %s rendered by the agent is not listed in pki/certs", name, serial)
			}
		}
	}
}

// startAgent starts a Vault Agent rendering templates for the test, stopped when it ends (its
// output logged if the test failed).
func startAgent(t *testing.T, env *realvault.Env, name string, templates []realvault.AgentTemplate) *realvault.Agent {
	t.Helper()
	agent, err := env.StartAgent(name, templates)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		agent.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", agent, agent.Output())
		}
	})
	return agent
}
