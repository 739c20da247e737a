package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the Go runtime's soft memory limit for the plugin process unless the
// operator sets GOMEMLIMIT (vault plugin register -env GOMEMLIMIT=...).
//
// Why: the plugin's live heap is small (10-25 MiB, the LIST certs/ index of 100,000 serials
// included), but one LIST answer at that scale is encoded twice in the plugin (JSON, then
// protobuf): tens of MiB that are garbage a moment later, on top of the requests in flight. With
// only GOGC the heap may grow to twice such a peak and the runtime keeps freed pages mapped for
// minutes: measured 96-110 MiB resident after 100,000 issuances and LISTs of them. With a limit
// the collector runs earlier when a burst nears it and returns freed pages promptly. It is soft:
// a heap that truly needs more (a mount with many times more records) grows past it, and the
// runtime caps the collector's extra CPU, so the cost is collection work during such bursts,
// never a failure. The binary's own pages and the runtime's come on top (about 20 MiB).
//
// That collection work is why large LIST answers leave the plugin already encoded
// (pkicompat/packedserials.go): encoded from 100,000 strings, one LIST answer at that scale
// allocated about 35 MB under this limit and took 170-240 ms against native's 125-150 ms;
// pre-encoded it takes 124-197 ms (native 116-170 ms), under the same limit.
const defaultMemoryLimit = 40 << 20

// defaultGCPercent is the collector's GOGC for the plugin process unless the operator sets GOGC.
//
// Why: while the plugin issues, its live heap is a few MiB (requests in flight, the caches), and
// with Go's default GOGC=100 a collection starts each time the heap has doubled: every few MiB
// allocated, many times a second at hundreds of issuances a second, each cycle with its fixed
// costs and its wake-ups of idle threads. GOGC=200 lets the heap grow to three times the live heap
// between cycles. The soft memory limit above still caps it: once the live heap is larger (the
// LIST certs/ index at 100,000 records), the limit, not GOGC, decides when to collect, as before.
// The soft limit's design (golang/go#48409) pairs the two this way: GOGC trades collector CPU for
// memory, the limit bounds the memory; CockroachDB raised its default GOGC to 300 under a soft
// limit for the same trade (cockroachdb/cockroach#119605).
//
// Measured with `make bench` on a real Vault, two interleaved pairs of short runs
// (-latency-n 300 -latency-rsa-n 2 -list-sizes 1 -expiry-n 32): plugin CPU per sign at
// concurrency 32 1.02 and 0.95 ms against 1.36 and 1.25 with GOGC=100; plugin RSS after those
// short loads 42-45 MiB against 37-39. GOGC=400 saved as much CPU (0.95-0.96 against 1.15-1.18
// ms in its pairs) but left 60.3 MiB resident after a full run's 100,000 issuances and LISTs,
// against 58.7 MiB with 200: too close to the 64 MiB the project holds the plugin to.
const defaultGCPercent = 200

func init() {
	applyDefaultMemoryLimit(os.Getenv)
	applyDefaultGCPercent(os.Getenv)
}

// applyDefaultMemoryLimit sets defaultMemoryLimit unless GOMEMLIMIT is set (the runtime has
// applied that one already); it reports whether it set the limit.
func applyDefaultMemoryLimit(getenv func(string) string) bool {
	if getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	return true
}

// applyDefaultGCPercent sets defaultGCPercent unless GOGC is set (the runtime has applied that one
// already); it reports whether it set it.
func applyDefaultGCPercent(getenv func(string) string) bool {
	if getenv("GOGC") != "" {
		return false
	}
	debug.SetGCPercent(defaultGCPercent)
	return true
}
