package realvault

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// SimCounters reads the simulator's request, enrollment, token and connection counters from its
// admin API.
func (e *Env) SimCounters(ctx context.Context) (commandtest.Counters, error) {
	var counters commandtest.Counters
	client, err := e.commandClient()
	if err != nil {
		return counters, err
	}
	u, err := url.JoinPath(e.Sim.AdminURL, "counters")
	if err != nil {
		return counters, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return counters, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return counters, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return counters, err
	}
	if resp.StatusCode != http.StatusOK {
		return counters, fmt.Errorf("GET %s: status %d: %s", u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &counters); err != nil {
		return counters, fmt.Errorf("GET %s: not the counters: %w", u, err)
	}
	return counters, nil
}
