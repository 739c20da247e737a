package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
)

// The bench's mounts: one pair under load, one pair only for LIST at scale (so both hold exactly
// the same number of records however fast each issued during the load).
const (
	nativeMount     = "pki"
	nativeRootMount = "pki-root"
	pluginMount     = "kf"
	nativeListMount = "pki-list"
	nativeListRoot  = "pki-list-root"
	pluginListMount = "kf-list"
	benchDomain     = "example.com"
	benchName       = "bench." + benchDomain
	unknownRole     = "no-such-role" // no mount has it (opSignUnknownRole)
)

// Roles set no ttl or max_ttl, as most roles in use: the mount's lease settings decide.
var benchRoles = map[string][]string{
	"ec":  {"key_type=ec", "key_bits=256"},
	"rsa": {"key_type=rsa", "key_bits=2048"},
}

// setupNative mounts native PKI with an RSA-2048 issuing CA (the simulator's CA key type) under
// an RSA-2048 root, and writes the bench roles.
func setupNative(env *realvault.Env, mount, rootMount string) error {
	if _, err := env.EnableNativePKI(mount, rootMount); err != nil {
		return err
	}
	return writeRoles(env, mount)
}

// setupPlugin mounts the plugin with OAuth client credentials to the simulator, as an operator
// configures it against Command with an identity provider, and writes the bench roles.
func setupPlugin(env *realvault.Env, mount string) error {
	if err := env.EnablePlugin(mount); err != nil {
		return err
	}
	if _, err := env.Vault("write", mount+"/config",
		"url="+env.Sim.URL,
		"api_path="+env.Sim.APIPath,
		"ca="+env.Sim.CA,
		"template="+env.Sim.Template,
		"client_id="+env.Sim.ClientID,
		"client_secret="+env.Sim.ClientSecret,
		"token_url="+env.Sim.TokenURL,
		"scopes=keyfactor-api",
		"audience="+env.Sim.Audience,
		"command_cert_path="+env.Sim.CABundle,
	); err != nil {
		return err
	}
	return writeRoles(env, mount)
}

func writeRoles(env *realvault.Env, mount string) error {
	for name, keyArgs := range benchRoles {
		args := append([]string{"write", mount + "/roles/" + name, "allowed_domains=" + benchDomain, "allow_subdomains=true"}, keyArgs...)
		if _, err := env.Vault(args...); err != nil {
			return err
		}
	}
	return nil
}

// ecCSR is a PEM CSR for benchName with a new P-256 key.
func ecCSR() (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: benchName},
		DNSNames: []string{benchName},
	}, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// requestBodies are the JSON bodies of the measured Vault requests, built once.
type requestBodies struct {
	sign, issue []byte
}

func newRequestBodies(csrPEM string) (requestBodies, error) {
	sign, err := json.Marshal(map[string]string{"csr": csrPEM, "common_name": benchName})
	if err != nil {
		return requestBodies{}, err
	}
	issue, err := json.Marshal(map[string]string{"common_name": benchName})
	if err != nil {
		return requestBodies{}, err
	}
	return requestBodies{sign: sign, issue: issue}, nil
}
