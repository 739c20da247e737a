package commandtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Fault changes how matching API requests are answered. Faults apply in the order injected:
// a request takes the first fault that matches it and still has uses left.
type Fault struct {
	Endpoint       string        `json:"Endpoint"`       // "METHOD /Path" relative to the API path, e.g. "POST /Enrollment/CSR"; "" = every API request
	Times          int           `json:"Times"`          // how many matching requests it applies to; 0 = until ClearFaults
	Latency        time.Duration `json:"Latency"`        // added before answering (JSON: nanoseconds)
	Status         int           `json:"Status"`         // answer this status with Body instead of handling the request
	Body           string        `json:"Body"`           // body sent with Status
	DropConnection bool          `json:"DropConnection"` // close the connection without answering (after reading the request)
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
		Latency json.RawMessage `json:"Latency"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	*f = Fault(aux.plain)
	f.Latency = 0
	if len(aux.Latency) == 0 || string(aux.Latency) == "null" {
		return nil
	}
	var d Duration
	if err := json.Unmarshal(aux.Latency, &d); err != nil {
		return fmt.Errorf("Latency: %w", err)
	}
	var ns int64
	if json.Unmarshal(aux.Latency, &ns) == nil {
		f.Latency = time.Duration(ns) // a bare number is nanoseconds, like time.Duration's own JSON
		return nil
	}
	f.Latency = time.Duration(d)
	return nil
}
