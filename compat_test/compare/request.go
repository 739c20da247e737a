package compare

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

// Request is one request of a comparison, the same for every engine it is sent to: the step
// that names it in messages and in differences.json, the operation, the path relative to the
// mount and the request data.
type Request struct {
	Step string
	Op   logical.Operation
	Path string
	Data map[string]interface{}
	// NoToken sends the request without a Vault token, as an unauthenticated script does. Only
	// a real Vault checks tokens, so only a Target over HTTP can honour it.
	NoToken bool
}

// Method is the HTTP method Vault's API takes for the request's operation.
func (r Request) Method() string {
	switch r.Op {
	case logical.ReadOperation:
		return http.MethodGet
	case logical.ListOperation:
		return "LIST"
	case logical.DeleteOperation:
		return http.MethodDelete
	case logical.PatchOperation:
		return http.MethodPatch
	default:
		return http.MethodPost
	}
}

// String is the request for failure messages, PEM values shortened (a private key is test
// material, but a page of PEM in a failure message helps nobody).
func (r Request) String() string {
	data := make(map[string]interface{}, len(r.Data))
	for k, v := range r.Data {
		if s, ok := v.(string); ok && (strings.Contains(s, "-----BEGIN") || strings.HasPrefix(s, "{")) {
			v = "<pem or variable>"
		}
		data[k] = v
	}
	token := ""
	if r.NoToken {
		token = " (no token)"
	}
	return fmt.Sprintf("%s %s%s %v", r.Op, r.Path, token, data)
}

// Target is one mounted engine a Request can be sent to: in-process (a pkitest.Mount) or a mount
// of a real Vault over HTTP. Send fails the test when the request cannot be sent at all; an
// answer with an error status is an Observation like any other.
type Target interface {
	Name() string
	Send(t testing.TB, req Request) *Observation
}

// Exchange is one request and the answer one Target gave.
type Exchange struct {
	Request Request
	Answer  *Observation
}

// Recorder sends requests to a Target and keeps every exchange, for a script that runs against
// one engine at a time and is compared afterwards (CheckTranscripts).
type Recorder struct {
	Target
	Transcript []Exchange
}

// Send sends req and records the answer.
func (r *Recorder) Send(t testing.TB, req Request) *Observation {
	t.Helper()
	obs := r.Target.Send(t, req)
	r.Transcript = append(r.Transcript, Exchange{Request: req, Answer: obs})
	return obs
}
