//go:build ha

package compattest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
)

// The load the HA test keeps on the cluster: a few clients issuing one certificate after
// another, spread over every node (standbys forward to the active node), each bounded in
// count and stopped by the test.
const (
	haLoadClients      = 4
	haLoadPause        = 250 * time.Millisecond
	haLoadMaxPerClient = 5000
	haRequestTimeout   = 30 * time.Second
)

// issueOutcome is one issue request of the load, as its client saw it.
type issueOutcome struct {
	Client, Node int
	CN           string
	Start, End   time.Time
	Serial       string // colon hex, as Vault answers it; empty on error
	Err          string // empty on success
}

// issueLoad runs the clients. Each client sends request n to node (client+n) mod len(nodes),
// skipping nodes taken out of rotation (as a load balancer's health check would).
type issueLoad struct {
	cluster *realvault.Cluster
	role    string
	out     []atomic.Bool // nodes out of rotation
	stop    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	outcomes []issueOutcome
}

func startIssueLoad(c *realvault.Cluster, mount, role string) *issueLoad {
	l := &issueLoad{cluster: c, role: mount + "/issue/" + role, out: make([]atomic.Bool, len(c.Nodes)), stop: make(chan struct{})}
	for client := 0; client < haLoadClients; client++ {
		l.wg.Add(1)
		go l.run(client)
	}
	return l
}

// takeOut stops sending new requests to node i.
func (l *issueLoad) takeOut(i int) { l.out[i].Store(true) }

// putBack sends requests to node i again.
func (l *issueLoad) putBack(i int) { l.out[i].Store(false) }

// finish stops the clients, waits for their last requests and returns every outcome.
func (l *issueLoad) finish() []issueOutcome {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]issueOutcome(nil), l.outcomes...)
}

// snapshot returns the outcomes so far.
func (l *issueLoad) snapshot() []issueOutcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]issueOutcome(nil), l.outcomes...)
}

func (l *issueLoad) run(client int) {
	defer l.wg.Done()
	for seq := 0; seq < haLoadMaxPerClient; seq++ {
		select {
		case <-l.stop:
			return
		default:
		}
		target := l.pick(client, seq)
		o := issueOutcome{Client: client, Node: target, CN: fmt.Sprintf("load-%d-%d.example.com", client, seq), Start: time.Now()}
		serial, err := issueThrough(l.cluster.Env(target), l.role, o.CN)
		o.End = time.Now()
		if err != nil {
			o.Err = err.Error()
		} else {
			o.Serial = serial
		}
		l.mu.Lock()
		l.outcomes = append(l.outcomes, o)
		l.mu.Unlock()
		select {
		case <-l.stop:
			return
		case <-time.After(haLoadPause):
		}
	}
}

func (l *issueLoad) pick(client, seq int) int {
	n := len(l.out)
	for k := 0; k < n; k++ {
		i := (client + seq + k) % n
		if !l.out[i].Load() {
			return i
		}
	}
	return (client + seq) % n // every node out: keep trying, the errors are counted
}

// issueThrough sends one issue request to the node env addresses and returns the serial.
func issueThrough(env *realvault.Env, issuePath, cn string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), haRequestTimeout)
	defer cancel()
	status, _, body, err := env.Do(ctx, http.MethodPost, issuePath, map[string]string{"common_name": cn}, true)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", status, truncate(string(body), 300))
	}
	var answer struct {
		Data struct {
			SerialNumber string `json:"serial_number"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Data.SerialNumber == "" {
		return "", fmt.Errorf("status 200 without a serial_number: %s", truncate(string(body), 300))
	}
	return answer.Data.SerialNumber, nil
}

// serialKey is a serial number in one spelling for both sides: Vault answers colon-separated
// lower-case hex, Command upper-case hex without separators.
func serialKey(s string) string {
	n, ok := new(big.Int).SetString(strings.ReplaceAll(s, ":", ""), 16)
	if !ok {
		return "invalid:" + s
	}
	return n.Text(16)
}

// failoverFigures summarise the load around the kill.
type failoverFigures struct {
	Requests, Succeeded, Failed int
	FailedBeforeKill            int
	// Outage runs from the kill to the end of the first successful issuance sent after it.
	Outage time.Duration
	// RecoveredThrough lists the nodes that served a successful issuance sent after recovery.
	RecoveredThrough map[int]bool
	// ErrorKinds counts the failures by kind (HTTP status or transport error).
	ErrorKinds map[string]int
}

func summarise(outcomes []issueOutcome, killedAt time.Time) failoverFigures {
	f := failoverFigures{Requests: len(outcomes), RecoveredThrough: map[int]bool{}, ErrorKinds: map[string]int{}}
	var recovered time.Time
	for _, o := range outcomes {
		if o.Err != "" {
			f.Failed++
			f.ErrorKinds[errorKind(o.Err)]++
			if o.End.Before(killedAt) {
				f.FailedBeforeKill++
			}
			continue
		}
		f.Succeeded++
		if o.Start.After(killedAt) && (recovered.IsZero() || o.End.Before(recovered)) {
			recovered = o.End
		}
	}
	if !recovered.IsZero() {
		f.Outage = recovered.Sub(killedAt)
		for _, o := range outcomes {
			if o.Err == "" && o.Start.After(recovered) {
				f.RecoveredThrough[o.Node] = true
			}
		}
	}
	return f
}

// errorKind names a failure for the figures: the HTTP status Vault answered, or the transport
// error.
func errorKind(err string) string {
	if strings.HasPrefix(err, "status ") {
		if code, _, ok := strings.Cut(err, ":"); ok {
			return "HTTP " + strings.TrimPrefix(code, "status ")
		}
	}
	for _, kind := range []string{"connection refused", "connection reset", "EOF", "deadline exceeded"} {
		if strings.Contains(err, kind) {
			return kind
		}
	}
	return "other"
}
