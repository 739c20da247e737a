package realvault

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NativePKI describes a native PKI mount set up by EnableNativePKI.
type NativePKI struct {
	// Mount is the issuing mount (an intermediate CA); RootMount holds its root.
	Mount     string
	RootMount string
	// RootPEM and IntermediatePEM are the two CA certificates, PEM encoded.
	RootPEM         string
	IntermediatePEM string
}

// EnableNativePKI mounts Vault's built-in PKI engine at mount with the same shape of hierarchy
// the simulator has (root -> issuing CA -> leaves): a root generated at rootMount signs an
// intermediate generated at mount, and the signed intermediate is imported with its root, so
// mount's ca_chain is [intermediate, root] as the plugin's is. Both mounts are tuned to a
// 10-year maximum lease first, as native PKI needs for a long-lived CA.
func (e *Env) EnableNativePKI(mount, rootMount string) (*NativePKI, error) {
	for _, m := range []string{rootMount, mount} {
		if _, err := e.Vault("secrets", "enable", "-path="+m, "pki"); err != nil {
			return nil, err
		}
		if _, err := e.Vault("secrets", "tune", "-max-lease-ttl=87600h", m); err != nil {
			return nil, err
		}
	}
	var root struct {
		Data struct {
			Certificate string `json:"certificate"`
		} `json:"data"`
	}
	if err := e.VaultJSON(&root, "write", rootMount+"/root/generate/internal",
		"common_name=Native Test Root", "ttl=87600h"); err != nil {
		return nil, err
	}
	var csr struct {
		Data struct {
			CSR string `json:"csr"`
		} `json:"data"`
	}
	if err := e.VaultJSON(&csr, "write", mount+"/intermediate/generate/internal",
		"common_name=Native Test Issuing CA"); err != nil {
		return nil, err
	}
	csrPath := filepath.Join(e.Dir, mount+"-intermediate.csr")
	if err := os.WriteFile(csrPath, []byte(csr.Data.CSR), 0o600); err != nil {
		return nil, err
	}
	var signed struct {
		Data struct {
			Certificate string `json:"certificate"`
		} `json:"data"`
	}
	if err := e.VaultJSON(&signed, "write", rootMount+"/root/sign-intermediate",
		"csr=@"+csrPath, "common_name=Native Test Issuing CA", "ttl=43800h", "format=pem"); err != nil {
		return nil, err
	}
	bundlePath := filepath.Join(e.Dir, mount+"-intermediate-bundle.pem")
	bundle := strings.TrimSpace(signed.Data.Certificate) + "\n" + strings.TrimSpace(root.Data.Certificate) + "\n"
	if err := os.WriteFile(bundlePath, []byte(bundle), 0o600); err != nil {
		return nil, err
	}
	if _, err := e.Vault("write", mount+"/intermediate/set-signed", "certificate=@"+bundlePath); err != nil {
		return nil, err
	}
	return &NativePKI{
		Mount:           mount,
		RootMount:       rootMount,
		RootPEM:         strings.TrimSpace(root.Data.Certificate),
		IntermediatePEM: strings.TrimSpace(signed.Data.Certificate),
	}, nil
}

// DisableMount unmounts whatever secrets engine is at mount (its data is destroyed).
func (e *Env) DisableMount(mount string) error {
	_, err := e.Vault("secrets", "disable", mount)
	return err
}

// MountType is the engine type mounted at mount ("pki", "keyfactor", ...), read from sys/mounts.
func (e *Env) MountType(mount string) (string, error) {
	var mounts struct {
		Data map[string]struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	out, err := e.Vault("read", "-format=json", "sys/mounts")
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal([]byte(out), &mounts); err != nil {
		return "", fmt.Errorf("sys/mounts is not JSON: %w", err)
	}
	m, ok := mounts.Data[strings.TrimSuffix(mount, "/")+"/"]
	if !ok {
		return "", fmt.Errorf("nothing is mounted at %s", mount)
	}
	return m.Type, nil
}
