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

func init() { applyDefaultMemoryLimit(os.Getenv) }

// applyDefaultMemoryLimit sets defaultMemoryLimit unless GOMEMLIMIT is set (the runtime has
// applied that one already); it reports whether it set the limit.
func applyDefaultMemoryLimit(getenv func(string) string) bool {
	if getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
	return true
}
