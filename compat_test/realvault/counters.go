package realvault

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// SimCounters reads the simulator's request, enrollment, token and connection counters from its
// admin API.
func (e *Env) SimCounters(ctx context.Context) (commandtest.Counters, error) {
	var counters commandtest.Counters
	body, err := e.simAdmin(ctx, http.MethodGet, "counters", nil)
	if err != nil {
		return counters, err
	}
	if err := json.Unmarshal(body, &counters); err != nil {
		return counters, fmt.Errorf("GET %s/counters: not the counters: %w", e.Sim.AdminURL, err)
	}
	return counters, nil
}
