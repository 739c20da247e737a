package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// The plugin sets its default soft memory limit, and leaves an operator's GOMEMLIMIT alone.
func TestDefaultMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })

	debug.SetMemoryLimit(math.MaxInt64)
	if !applyDefaultMemoryLimit(func(string) string { return "" }) || debug.SetMemoryLimit(-1) != defaultMemoryLimit {
		t.Fatalf("without GOMEMLIMIT the limit is %d, want %d", debug.SetMemoryLimit(-1), defaultMemoryLimit)
	}

	debug.SetMemoryLimit(1 << 30)
	env := map[string]string{"GOMEMLIMIT": "1GiB"}
	if applyDefaultMemoryLimit(func(k string) string { return env[k] }) || debug.SetMemoryLimit(-1) != 1<<30 {
		t.Fatalf("with GOMEMLIMIT set the limit is %d, want the operator's %d", debug.SetMemoryLimit(-1), 1<<30)
	}
}

// The plugin sets its default GOGC, and leaves an operator's GOGC alone.
func TestDefaultGCPercent(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })

	if !applyDefaultGCPercent(func(string) string { return "" }) {
		t.Fatal("without GOGC the default was not applied")
	}
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Fatalf("without GOGC the collector's percent is %d, want %d", got, defaultGCPercent)
	}

	debug.SetGCPercent(150)
	env := map[string]string{"GOGC": "150"}
	if applyDefaultGCPercent(func(k string) string { return env[k] }) {
		t.Fatal("with GOGC set the default was applied")
	}
	if got := debug.SetGCPercent(100); got != 150 {
		t.Fatalf("with GOGC set the collector's percent is %d, want the operator's 150", got)
	}
}
