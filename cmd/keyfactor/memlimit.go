package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the Go runtime's soft memory limit for the plugin process unless the
// operator sets GOMEMLIMIT (vault plugin register -env GOMEMLIMIT=...).
//
// Why: the plugin's live heap is small (about 10 MiB, plus about 8 MiB per 100,000 certificates
// in the LIST certs/ index), but one LIST answer at that scale is encoded twice in the plugin
// (JSON, then protobuf), tens of MiB that are garbage a moment later. With only GOGC the heap
// is allowed to grow to twice that peak and the freed pages stay mapped for minutes, so the
// process sits at about 100 MiB after the load. With a limit the collector runs earlier when a
// burst nears it and returns freed pages promptly. It is a soft limit: a heap that truly needs
// more (a mount with many times more records) grows past it, and the runtime caps the
// collector's extra CPU, so the cost is collection work during such bursts, not failures.
const defaultMemoryLimit = 48 << 20

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
