package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// The measured operations.
const (
	opSignEC   = "sign EC P-256"
	opIssueEC  = "issue EC P-256"
	opIssueRSA = "issue RSA-2048"
	// opReadRole does no CA work on any mount: one storage read and the answer. Native against
	// plugin, it measures what any plugin pays that a built-in engine does not.
	opReadRole = "read role"
	// opSignUnknownRole is a write that every mount refuses (400) after one storage read: no CA
	// work either. Vault asks an external plugin whether a write's path exists (the existence
	// check, vault/request_handling.go) in a round trip of its own before sending the request, so
	// against opReadRole it adds that second hop.
	opSignUnknownRole = "sign with an unknown role (400)"
)

// target is one way of getting a certificate: native PKI, the plugin, or Command directly.
type target struct {
	name string
	ops  map[string]func(context.Context) error
}

func vaultTarget(name string, vc *vaultClient, mount string, bodies requestBodies) *target {
	call := func(method, path string, body []byte) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := vc.call(ctx, method, mount+"/"+path, body)
			return err
		}
	}
	post := func(path string, body []byte) func(context.Context) error { return call("POST", path, body) }
	return &target{name: name, ops: map[string]func(context.Context) error{
		opSignEC:   post("sign/ec", bodies.sign),
		opIssueEC:  post("issue/ec", bodies.issue),
		opIssueRSA: post("issue/rsa", bodies.issue),
		opReadRole: call("GET", "roles/ec", nil),
		opSignUnknownRole: func(ctx context.Context) error {
			return vc.refused(ctx, "POST", mount+"/sign/"+unknownRole, bodies.sign, http.StatusBadRequest)
		},
	}}
}

func directTarget(cc *commandClient, csrPEM string) *target {
	return &target{name: "direct", ops: map[string]func(context.Context) error{
		opSignEC: func(ctx context.Context) error { return cc.enroll(ctx, csrPEM, benchName) },
	}}
}

// rotation is the order of targets in round r: each round starts one target later, so no target
// always runs right after another one (cache, GC and scheduler effects spread evenly).
func rotation(targets []*target, round int) []*target {
	out := make([]*target, len(targets))
	for i := range targets {
		out[i] = targets[(round+i)%len(targets)]
	}
	return out
}

// measureLatency runs op n times per target one at a time, interleaving the targets in blocks of
// block requests, after warmup unmeasured requests per target.
func measureLatency(ctx context.Context, op string, targets []*target, n, block, warmup int) (map[string][]time.Duration, error) {
	for _, t := range targets {
		for i := 0; i < warmup; i++ {
			if err := t.ops[op](ctx); err != nil {
				return nil, fmt.Errorf("%s, %s (warm-up): %w", op, t.name, err)
			}
		}
	}
	out := map[string][]time.Duration{}
	for round := 0; len(out[targets[0].name]) < n; round++ {
		for _, t := range rotation(targets, round) {
			for i := 0; i < block && len(out[t.name]) < n; i++ {
				start := time.Now()
				if err := t.ops[op](ctx); err != nil {
					return nil, fmt.Errorf("%s, %s: %w", op, t.name, err)
				}
				out[t.name] = append(out[t.name], time.Since(start))
			}
		}
	}
	return out, nil
}

// percentile is the nearest-rank percentile p (0-100) of ds, in milliseconds.
func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(sorted) {
		rank = len(sorted) - 1
	}
	return float64(sorted[rank]) / float64(time.Millisecond)
}

// runConcurrent calls fn from concurrency workers until deadline (if not zero) or until count
// calls were made (if count > 0), and returns how many completed. The first error stops it.
func runConcurrent(ctx context.Context, fn func(context.Context) error, concurrency int, deadline time.Time, count int) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		tickets, done atomic.Int64
		wg            sync.WaitGroup
		errOnce       sync.Once
		firstErr      error
	)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if count > 0 && tickets.Add(1) > int64(count) {
					return
				}
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				if err := fn(ctx); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return int(done.Load()), firstErr
}

// The processes whose CPU time is measured.
const (
	procVault = iota
	procPlugin
	procSimulator
	procCount
)

var procNames = [procCount]string{"Vault", "plugin", "simulator"}

// meter reads CPU time of the processes and the simulator's counters.
type meter struct {
	pids [procCount]int
	cc   *commandClient
}

type sample struct {
	at       time.Time
	cpuMS    [procCount]float64
	counters commandtest.Counters
	ownDials int64
}

func (m *meter) sample(ctx context.Context) (sample, error) {
	s := sample{ownDials: m.cc.dials.Load()}
	counters, err := m.cc.counters(ctx)
	if err != nil {
		return s, err
	}
	s.counters = counters
	for i, pid := range m.pids {
		s.cpuMS[i] = cpuMillis(pid)
	}
	s.at = time.Now()
	return s, nil
}

// commandCalls are Command-side counts over some load.
type commandCalls struct {
	Tokens, Connections, Enrollments, Other int
}

func (c *commandCalls) add(before, after sample) {
	c.Tokens += after.counters.TokensIssued - before.counters.TokensIssued
	c.Enrollments += after.counters.Enrollments - before.counters.Enrollments
	// The bench's own dials (counters reads, direct enrollments) are not the plugin's.
	c.Connections += after.counters.Connections - before.counters.Connections - int(after.ownDials-before.ownDials)
	const enrollCall = "POST /Enrollment/CSR"
	for call, n := range after.counters.Requests {
		if call != enrollCall {
			c.Other += n - before.counters.Requests[call]
		}
	}
}

// load is what one target did under concurrent load, summed over its blocks.
type load struct {
	requests int
	wall     time.Duration
	cpuMS    [procCount]float64
	calls    commandCalls
}

func (l *load) perSecond() float64 { return float64(l.requests) / l.wall.Seconds() }

// warmupDuration is the unmeasured load per target before the throughput blocks.
const warmupDuration = 2 * time.Second

// measureThroughput runs op on each target at the given concurrency for blocks rounds of
// blockDur each, rotating the targets, and meters each block.
func measureThroughput(ctx context.Context, m *meter, op string, targets []*target, concurrency, blocks int, blockDur time.Duration) (map[string]*load, error) {
	out := map[string]*load{}
	for _, t := range targets {
		out[t.name] = &load{}
		// Unmeasured: connection pools grow to the concurrency (the latency measures before
		// needed one connection), so the blocks measure the steady state.
		if _, err := runConcurrent(ctx, t.ops[op], concurrency, time.Now().Add(warmupDuration), 0); err != nil {
			return nil, fmt.Errorf("%s at concurrency %d, %s (warm-up): %w", op, concurrency, t.name, err)
		}
	}
	for round := 0; round < blocks; round++ {
		for _, t := range rotation(targets, round) {
			if err := meterLoad(ctx, m, out[t.name], func() (int, error) {
				return runConcurrent(ctx, t.ops[op], concurrency, time.Now().Add(blockDur), 0)
			}); err != nil {
				return nil, fmt.Errorf("%s at concurrency %d, %s: %w", op, concurrency, t.name, err)
			}
		}
	}
	return out, nil
}

// meterLoad runs run and adds what it did, and what it cost, to l.
func meterLoad(ctx context.Context, m *meter, l *load, run func() (int, error)) error {
	before, err := m.sample(ctx)
	if err != nil {
		return err
	}
	n, err := run()
	if err != nil {
		return err
	}
	after, err := m.sample(ctx)
	if err != nil {
		return err
	}
	l.requests += n
	l.wall += after.at.Sub(before.at)
	for i := range l.cpuMS {
		l.cpuMS[i] += after.cpuMS[i] - before.cpuMS[i]
	}
	l.calls.add(before, after)
	return nil
}
