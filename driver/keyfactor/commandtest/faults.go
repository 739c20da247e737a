package commandtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault changes how matching API requests are answered. Faults apply in the order injected:
// a request takes the first fault that matches it and still has uses left.
type Fault struct {
	Endpoint string        `json:"Endpoint"` // "METHOD /Path" relative to the API path, e.g. "POST /Enrollment/CSR"; "" = every API request
	Times    int           `json:"Times"`    // how many matching requests it applies to; 0 = until ClearFaults
	Latency  time.Duration `json:"Latency"`  // added before answering (JSON: nanoseconds)
	// AnswerLatency handles the request at once (an enrollment issues its certificate) and holds
	// the answer back; a client that gives up meanwhile gets nothing, but the work is done.
	// Inferred: ASP.NET Core only signals HttpContext.RequestAborted when the client goes away
	// (Microsoft docs, "HttpContext.RequestAborted"); a handler that has submitted the request to
	// its CA does not undo it, so a slow Command completes enrollments its client timed out on.
	AnswerLatency  time.Duration `json:"AnswerLatency"`
	Status         int           `json:"Status"`         // answer this status with Body instead of handling the request
	Body           string        `json:"Body"`           // body sent with Status
	DropConnection bool          `json:"DropConnection"` // read the request, then answer nothing: HTTP/1.1 closes the connection, HTTP/2 resets the stream
	GarbageBody    bool          `json:"GarbageBody"`    // 200 with a non-JSON body
	Disposition    string        `json:"Disposition"`    // for enrollment: "DENIED", "FAILED", "PENDING" instead of ISSUED
}

// Counters is a snapshot of what the server has seen.
type Counters struct {
	Requests     map[string]int `json:"Requests"`     // "METHOD /Path" (relative to the API path, ids as {id}) -> count, counted before faults apply
	Enrollments  int            `json:"Enrollments"`  // CSR enrollments that produced a certificate or a pending request
	TokensIssued int            `json:"TokensIssued"` // OAuth access tokens issued
	Connections  int            `json:"Connections"`  // TCP connections accepted
}

// activeFault is an injected fault with its remaining uses (-1 = unlimited).
type activeFault struct {
	Fault
	remaining int
}

type faultSet struct {
	mu     sync.Mutex
	faults []*activeFault
}

func (f *faultSet) add(fault Fault) {
	remaining := fault.Times
	if remaining <= 0 {
		remaining = -1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &activeFault{Fault: fault, remaining: remaining})
}

func (f *faultSet) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// take returns the first fault matching endpoint key and uses it up once.
func (f *faultSet) take(key string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, af := range f.faults {
		if af.Endpoint != "" && !endpointMatches(af.Endpoint, key) {
			continue
		}
		if af.remaining > 0 {
			af.remaining--
			if af.remaining == 0 {
				f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
			}
		}
		return af.Fault, true
	}
	return Fault{}, false
}

// endpointMatches compares "METHOD /Path" forms case-insensitively, ignoring a trailing slash
// and a leading slash difference, so "post enrollment/csr" matches "POST /Enrollment/CSR".
func endpointMatches(pattern, key string) bool {
	norm := func(s string) string {
		method, path, _ := strings.Cut(strings.TrimSpace(s), " ")
		path = "/" + strings.Trim(strings.TrimSpace(path), "/")
		return strings.ToUpper(method) + " " + strings.ToLower(path)
	}
	return norm(pattern) == norm(key)
}

type counterSet struct {
	mu           sync.Mutex
	requests     map[string]int
	enrollments  int
	tokensIssued int
	connections  int
}

func newCounterSet() *counterSet { return &counterSet{requests: map[string]int{}} }

func (c *counterSet) countRequest(key string) {
	c.mu.Lock()
	c.requests[key]++
	c.mu.Unlock()
}

func (c *counterSet) countEnrollment() {
	c.mu.Lock()
	c.enrollments++
	c.mu.Unlock()
}

func (c *counterSet) countToken() {
	c.mu.Lock()
	c.tokensIssued++
	c.mu.Unlock()
}

func (c *counterSet) countConnection() {
	c.mu.Lock()
	c.connections++
	c.mu.Unlock()
}

func (c *counterSet) snapshot() Counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	req := make(map[string]int, len(c.requests))
	for k, v := range c.requests {
		req[k] = v
	}
	return Counters{Requests: req, Enrollments: c.enrollments, TokensIssued: c.tokensIssued, Connections: c.connections}
}

func (c *counterSet) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = map[string]int{}
	c.enrollments, c.tokensIssued, c.connections = 0, 0, 0
}

// UnmarshalJSON reads a Fault from the admin endpoint; Latency may be nanoseconds or a Go
// duration string such as "250ms".
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	var aux struct {
		plain
		Latency       json.RawMessage `json:"Latency"`
		AnswerLatency json.RawMessage `json:"AnswerLatency"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*f = Fault(aux.plain)
	var err error
	if f.Latency, err = faultDuration("Latency", aux.Latency); err != nil {
		return err
	}
	f.AnswerLatency, err = faultDuration("AnswerLatency", aux.AnswerLatency)
	return err
}

// faultDuration reads a duration given as nanoseconds (time.Duration's own JSON) or as a Go
// duration string such as "250ms".
func faultDuration(field string, raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var ns int64
	if json.Unmarshal(raw, &ns) == nil {
		return time.Duration(ns), nil
	}
	var d Duration
	if err := json.Unmarshal(raw, &d); err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return time.Duration(d), nil
}

// heldAnswer buffers a handler's answer so it can be sent after AnswerLatency, or never when
// the client has gone by then.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldAnswer) Header() http.Header { return h.header }
func (h *heldAnswer) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}
func (h *heldAnswer) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

// sendAfter waits delay (or until the client is gone) and then sends the held answer to w.
func (h *heldAnswer) sendAfter(w http.ResponseWriter, r *http.Request, delay time.Duration) {
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	for k, v := range h.header {
		w.Header()[k] = v
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}
