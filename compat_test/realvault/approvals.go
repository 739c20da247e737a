package realvault

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// ApproveSimRequest approves a certificate request the simulator holds, as an approver in
// Command would (POST /_sim/requests/{id}/approve).
func (e *Env) ApproveSimRequest(ctx context.Context, requestID int) error {
	_, err := e.simAdmin(ctx, http.MethodPost, "requests/"+strconv.Itoa(requestID)+"/approve", nil)
	return err
}

// DenySimRequest denies a held request with a comment (POST /_sim/requests/{id}/deny).
func (e *Env) DenySimRequest(ctx context.Context, requestID int, comment string) error {
	body, err := json.Marshal(struct{ Comment string }{comment})
	if err != nil {
		return err
	}
	_, err = e.simAdmin(ctx, http.MethodPost, "requests/"+strconv.Itoa(requestID)+"/deny", body)
	return err
}

// ResetSimCounters zeroes the simulator's counters (POST /_sim/counters/reset).
func (e *Env) ResetSimCounters(ctx context.Context) error {
	_, err := e.simAdmin(ctx, http.MethodPost, "counters/reset", nil)
	return err
}

// VaultJSONAs runs the vault CLI with token instead of the root token, with JSON output.
func (e *Env) VaultJSONAs(token string, v interface{}, args ...string) error {
	out, err := e.vaultCLI([]string{"VAULT_FORMAT=json", "VAULT_TOKEN=" + token}, args...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(out), v)
}
