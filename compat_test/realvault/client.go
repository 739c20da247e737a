package realvault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"time"
)

// ErrCLI is wrapped by errors from the vault CLI so callers can tell a refused request from a
// harness failure.
var ErrCLI = errors.New("vault CLI failed")

// Vault runs the vault CLI against this environment with the root token and returns its
// standard output. A non-zero exit is an error wrapping ErrCLI that carries stderr.
func (e *Env) Vault(args ...string) (string, error) {
	return e.vaultCLI(nil, args...)
}

// VaultJSON runs the vault CLI with VAULT_FORMAT=json and decodes its output into v.
func (e *Env) VaultJSON(v interface{}, args ...string) error {
	out, err := e.vaultCLI([]string{"VAULT_FORMAT=json"}, args...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("vault %s: output is not JSON (%v): %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// VaultNoToken runs the vault CLI with no token at all, as an unauthenticated script would.
func (e *Env) VaultNoToken(args ...string) (string, error) {
	return e.run(append(baseEnv(e.home), "VAULT_ADDR="+e.Addr), args...)
}

func (e *Env) vaultCLI(extraEnv []string, args ...string) (string, error) {
	env := append(baseEnv(e.home), "VAULT_ADDR="+e.Addr, "VAULT_TOKEN="+e.Token)
	return e.run(append(env, extraEnv...), args...)
}

func (e *Env) run(env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.bins.Vault, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: vault %s: %v\n%s%s", ErrCLI, strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

// Do sends one HTTP request to Vault's API at /v1/<path>. body (if not nil) is sent as JSON.
// authenticated=false sends no token, as curl from a script would.
func (e *Env) Do(ctx context.Context, method, path string, body interface{}, authenticated bool) (int, http.Header, []byte, error) {
	u, err := url.JoinPath(e.Addr, "v1", path)
	if err != nil {
		return 0, nil, nil, err
	}
	var reader io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		reader = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reader)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if authenticated {
		req.Header.Set("X-Vault-Token", e.Token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw, err
}

var httpClient = &http.Client{Timeout: 2 * time.Minute}

// EnablePlugin mounts the registered plugin at mount.
func (e *Env) EnablePlugin(mount string) error {
	_, err := e.Vault("secrets", "enable", "-path="+mount, PluginName)
	return err
}

// ConfigureBasic writes the plugin's config at mount with the simulator's Basic credentials,
// its default CA and template, and its TLS CA bundle as the trust anchor.
func (e *Env) ConfigureBasic(mount string) error {
	_, err := e.Vault("write", mount+"/config",
		"url="+e.Sim.URL,
		"api_path="+e.Sim.APIPath,
		"username="+e.Sim.Username,
		"password="+e.Sim.Password,
		"domain="+e.Sim.Domain,
		"ca="+e.Sim.CA,
		"template="+e.Sim.Template,
		"command_cert_path="+e.Sim.CABundle,
	)
	return err
}
