package realvault

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// versionLDFlag is the linker flag the Makefile stamps the plugin's version with
// (PLUGIN_LDFLAGS): the version the binary reports to Vault.
const versionLDFlag = "-X main.version="

// pluginDir is the plugin_directory of the dev server.
func (e *Env) pluginDir() string { return filepath.Join(e.Dir, "plugins") }

// InstallPluginVersion builds the plugin from this checkout with version stamped as the Makefile
// stamps it, installs it in Vault's plugin directory as keyfactor-<version> and registers it by
// sha256 as that version of the plugin, as an operator installs a release. It returns the
// binary's sha256. The go command must be on PATH (as for `make test`).
func (e *Env) InstallPluginVersion(ctx context.Context, version string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	built := filepath.Join(e.Dir, "build", PluginName+"-"+version)
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", versionLDFlag+version, "-o", built, "./cmd/keyfactor")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the plugin as %s: %w\n%s", version, err, out)
	}
	command := PluginName + "-" + version
	sum, err := copyExecutable(built, filepath.Join(e.pluginDir(), command))
	if err != nil {
		return "", err
	}
	if _, err := e.Vault("plugin", "register", "-sha256="+sum, "-command="+command, "-version="+version, "secret", PluginName); err != nil {
		return "", err
	}
	return sum, nil
}
