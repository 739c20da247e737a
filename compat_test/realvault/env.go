package realvault

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// PluginName is the name the plugin is registered under in Vault's catalog.
const PluginName = "keyfactor"

// rootToken is the dev server's root token. A dev server is throwaway and bound to loopback.
const rootToken = "root"

// SimInfo is what the simulator announces on start (URL, credentials, CA files).
type SimInfo = commandtest.Announcement

// Options shape an environment.
type Options struct {
	Binaries Binaries
	// SimArgs are extra flags for cmd/commandsim (e.g. "-profile", "11").
	SimArgs []string
	// Log receives the processes' output as it happens (nil: kept only for error reports).
	Log io.Writer
}

// Env is a running simulator and Vault dev server with the plugin registered (not yet enabled).
type Env struct {
	// Addr is Vault's address, e.g. http://127.0.0.1:18200.
	Addr  string
	Token string
	Sim   SimInfo
	// PluginSHA256 is the checksum the plugin was registered with.
	PluginSHA256 string
	// Dir is a scratch directory removed by Close.
	Dir string

	bins  Binaries
	home  string
	sim   *process
	vault *process
	// borrowed is set on an Env that addresses one node of a Cluster: the cluster owns the
	// processes and the directory, so Close leaves them alone.
	borrowed bool
}

// Start launches the simulator and Vault, copies the plugin into Vault's plugin directory and
// registers it by sha256. On error everything already started is stopped.
func Start(ctx context.Context, opts Options) (env *Env, err error) {
	dir, err := os.MkdirTemp("", "kfpki-realvault-")
	if err != nil {
		return nil, err
	}
	e := &Env{Token: rootToken, Dir: dir, bins: opts.Binaries, home: filepath.Join(dir, "home")}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	if err := os.MkdirAll(e.home, 0o700); err != nil {
		return nil, err
	}
	if err := e.startSimulator(ctx, opts); err != nil {
		return nil, err
	}
	if err := e.startVault(ctx, opts); err != nil {
		return nil, err
	}
	if err := e.registerPlugin(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Env) startSimulator(ctx context.Context, opts Options) error {
	stateDir := filepath.Join(e.Dir, "commandsim")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return err
	}
	args := append([]string{"-addr", "127.0.0.1:0", "-state-dir", stateDir}, opts.SimArgs...)
	pr, pw := io.Pipe()
	var stdout io.Writer = pw
	if opts.Log != nil {
		stdout = io.MultiWriter(pw, opts.Log)
	}
	p, err := startProcess("commandsim", e.bins.CommandSim, baseEnv(e.home), stdout, args...)
	if err != nil {
		return err
	}
	e.sim = p

	// The simulator prints one JSON line when it is ready to serve.
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			return fmt.Errorf("commandsim exited before announcing itself:\n%s", p.output())
		}
		if err := json.Unmarshal([]byte(line), &e.Sim); err != nil {
			return fmt.Errorf("commandsim's first line is not its JSON announcement (%v): %q", err, line)
		}
		return nil
	case <-time.After(60 * time.Second):
		return fmt.Errorf("commandsim did not announce itself within 60s:\n%s", p.output())
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Env) startVault(ctx context.Context, opts Options) error {
	pluginDir := e.pluginDir()
	if err := os.MkdirAll(pluginDir, 0o755); err != nil {
		return err
	}
	sum, err := copyExecutable(e.bins.Plugin, filepath.Join(pluginDir, PluginName))
	if err != nil {
		return fmt.Errorf("installing the plugin binary: %w", err)
	}
	e.PluginSHA256 = sum

	// A config file sets plugin_directory without -dev-plugin-dir, which would auto-register
	// the plugin: the point is to register it by checksum as an operator does.
	confPath := filepath.Join(e.Dir, "vault.json")
	conf, err := json.Marshal(map[string]interface{}{"plugin_directory": pluginDir, "disable_mlock": true})
	if err != nil {
		return err
	}
	if err := os.WriteFile(confPath, conf, 0o600); err != nil {
		return err
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		p, err := startProcess("vault", e.bins.Vault, baseEnv(e.home), opts.Log,
			"server", "-dev", "-dev-root-token-id="+rootToken, "-dev-listen-address="+addr,
			"-config="+confPath, "-log-level=warn")
		if err != nil {
			return err
		}
		e.vault = p
		e.Addr = "http://" + addr
		if lastErr = e.waitHealthy(ctx); lastErr == nil {
			return nil
		}
		p.stop()
	}
	return lastErr
}

// waitHealthy polls sys/health until the dev server is unsealed and active.
func (e *Env) waitHealthy(ctx context.Context) error {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if e.vault.exited() {
			return fmt.Errorf("vault exited during start:\n%s", e.vault.output())
		}
		status, _, _, err := e.Do(ctx, http.MethodGet, "sys/health", nil, false)
		if err == nil && status == http.StatusOK {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("vault did not become healthy within 90s:\n%s", e.vault.output())
}

func (e *Env) registerPlugin() error {
	_, err := e.Vault("plugin", "register", "-sha256="+e.PluginSHA256, "-command="+PluginName, "secret", PluginName)
	return err
}

// Close stops Vault (and with it the plugin processes) and the simulator, and removes Dir.
func (e *Env) Close() {
	if e == nil || e.borrowed {
		return
	}
	e.vault.stop()
	e.sim.stop()
	if e.Dir != "" {
		_ = os.RemoveAll(e.Dir)
	}
}

// Logs returns what Vault and the simulator printed, for failure reports.
func (e *Env) Logs() string {
	var out string
	if e.vault != nil {
		out += "--- vault ---\n" + e.vault.output()
	}
	if e.sim != nil {
		out += "--- commandsim ---\n" + e.sim.output()
	}
	return out
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// copyExecutable copies src to dst with mode 0755 and returns dst's sha256 in hex.
func copyExecutable(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
