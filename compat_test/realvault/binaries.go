// Package realvault runs the real components the end-to-end tests and the demo need: the
// Keyfactor Command simulator (cmd/commandsim) and a `vault server -dev` built from the Vault
// module, with this plugin registered by sha256 in a plugin directory. Every process it starts
// is stopped by Close.
package realvault

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// NewestVaultVersion is the newest supported Vault, the first of the Makefile's VAULT_VERSIONS:
// the Vault used when VAULT_BIN is not set.
const NewestVaultVersion = "1.21.0"

// Binaries are the executables an environment needs. The Makefile builds them and passes their
// paths in the environment variables named below.
type Binaries struct {
	Vault      string // VAULT_BIN
	Plugin     string // PLUGIN_BIN
	CommandSim string // COMMANDSIM_BIN
}

// BinariesFromEnv finds the binaries from the environment, falling back to where the Makefile
// puts them relative to the repository root.
func BinariesFromEnv() (Binaries, error) {
	root, err := repoRoot()
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{
		Vault:      envOr("VAULT_BIN", filepath.Join(root, ".cache", "vault", NewestVaultVersion, "bin", "vault")),
		Plugin:     envOr("PLUGIN_BIN", filepath.Join(root, "bin", "keyfactor")),
		CommandSim: envOr("COMMANDSIM_BIN", filepath.Join(root, "bin", "commandsim")),
	}
	for name, path := range map[string]string{"vault": b.Vault, "plugin": b.Plugin, "commandsim": b.CommandSim} {
		if info, err := os.Stat(path); err != nil || info.IsDir() {
			return Binaries{}, fmt.Errorf("%s binary not found at %s: run `make build vault` (or `make test`, which builds them)", name, path)
		}
	}
	return b, nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// repoRoot is the plugin repository root: the parent of the compat_test module.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the repository root")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
}
