package pkicompat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// commandAnswer is a driver error carrying the CA's own answer (cadriver.CAAnswerError).
type commandAnswer struct {
	status, httpStatus int
	code               string
}

func (e *commandAnswer) Error() string       { return fmt.Sprintf("CA answered %d", e.httpStatus) }
func (e *commandAnswer) StatusCode() int     { return e.status }
func (e *commandAnswer) CAHTTPStatus() int   { return e.httpStatus }
func (e *commandAnswer) CAErrorCode() string { return e.code }

// TestCAOperationFailureLevels: how a failed CA call is logged decides whether an operator is
// paged. A caller's mistake or a request held for approval is a warning; the CA failing or being
// unreachable is an error; the CA's status and error code, and a held request's id, are fields.
func TestCAOperationFailureLevels(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		level     string
		outcome   string
		wantField map[string]interface{}
	}{
		{"caller's mistake", Invalid("bad template"), "warn", "failure", map[string]interface{}{"status": float64(400)}},
		{"CA refusal with code", caError("sign", &commandAnswer{status: 400, httpStatus: 400, code: "0xA0110005"}), "warn", "failure",
			map[string]interface{}{"status": float64(400), "ca_http_status": float64(400), "ca_error_code": "0xA0110005"}},
		{"CA server error", caError("sign", &commandAnswer{status: 502, httpStatus: 500, code: "0xA0000001"}), "error", "failure",
			map[string]interface{}{"status": float64(502), "ca_http_status": float64(500), "ca_error_code": "0xA0000001"}},
		{"CA unreachable", caError("sign", &UnavailableError{Message: "dial refused"}), "error", "failure", map[string]interface{}{"status": float64(http.StatusServiceUnavailable)}},
		{"held for approval", caError("sign", &PendingApprovalError{RequestID: "42"}), "warn", "pending", map[string]interface{}{"status": float64(409), "ca_request_id": "42"}},
		{"no status", fmt.Errorf("storage failed"), "error", "failure", map[string]interface{}{"status": float64(500)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			b := &backend{Backend: &framework.Backend{BackendType: logical.TypeLogical}}
			if err := b.Setup(t.Context(), &logical.BackendConfig{Logger: hclog.New(&hclog.LoggerOptions{Output: &buf, JSONFormat: true, Level: hclog.Trace})}); err != nil {
				t.Fatal(err)
			}
			op := b.startCAOperation(&logical.Request{MountPoint: "pki/", ID: "req-1"}, "issue", "role", "web")
			if got := op.failed(tc.err); got != tc.err {
				t.Errorf("failed returned %v, want the error unchanged", got)
			}
			var line map[string]interface{}
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("log is not one JSON line: %v: %s", err, buf.String())
			}
			if line["@level"] != tc.level || line["outcome"] != tc.outcome || line["mount"] != "pki/" || line["request_id"] != "req-1" || line["role"] != "web" {
				t.Errorf("line %v: want level %s, outcome %s, mount pki/, request_id req-1, role web", line, tc.level, tc.outcome)
			}
			for k, v := range tc.wantField {
				if line[k] != v {
					t.Errorf("%s = %v, want %v", k, line[k], v)
				}
			}
		})
	}
}
