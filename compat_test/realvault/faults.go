package realvault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// InjectSimFault adds a fault to the simulator through its admin API (POST /_sim/faults).
func (e *Env) InjectSimFault(ctx context.Context, f commandtest.Fault) error {
	body, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = e.simAdmin(ctx, http.MethodPost, "faults", body)
	return err
}

// ClearSimFaults removes every injected fault (DELETE /_sim/faults).
func (e *Env) ClearSimFaults(ctx context.Context) error {
	_, err := e.simAdmin(ctx, http.MethodDelete, "faults", nil)
	return err
}

// simAdmin sends one request to the simulator's admin API (/_sim/<path>) and returns the body of
// its 200 answer.
func (e *Env) simAdmin(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	client, err := e.commandClient()
	if err != nil {
		return nil, err
	}
	u, err := url.JoinPath(e.Sim.AdminURL, path)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: status %d: %s", method, u, resp.StatusCode, answer)
	}
	return answer, nil
}

// KillPlugin sends SIGKILL to every running process of the plugin binary Vault started from
// its plugin directory (found by /proc/<pid>/exe), as a crash or the OOM killer would end it.
// Vault starts the plugin again on the next request to its mount. It returns the pids killed.
func (e *Env) KillPlugin() ([]int, error) {
	want, err := filepath.EvalSymlinks(filepath.Join(e.Dir, "plugins", PluginName))
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	var killed []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", ent.Name(), "exe"))
		if err != nil || exe != want {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return killed, fmt.Errorf("killing plugin process %d: %w", pid, err)
		}
		killed = append(killed, pid)
	}
	return killed, nil
}
