package pkicompat

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

// Through any sequence of merges the packed list holds exactly the serials a sorted []string
// would, in storage order, and finds each of them and nothing else.
func TestPackedSerialsMerge(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	serial := func() string {
		out := fmt.Sprintf("%02x", rng.Intn(256))
		for i := rng.Intn(20); i > 0; i-- {
			out += fmt.Sprintf(":%02x", rng.Intn(256))
		}
		return out
	}
	var want []string
	packed := packSerials(nil)
	for round := 0; round < 300; round++ {
		var added []string
		removed := map[string]bool{}
		for i := rng.Intn(5); i > 0; i-- {
			if s := serial(); !slices.Contains(want, s) && !slices.Contains(added, s) {
				added = append(added, s)
			}
		}
		for i := rng.Intn(3); i > 0 && len(want) > 0; i-- {
			removed[want[rng.Intn(len(want))]] = true
		}
		slices.SortFunc(added, compareStorageOrder)
		packed = packed.merge(added, removed)
		want = slices.DeleteFunc(append(want, added...), func(s string) bool { return removed[s] })
		slices.SortFunc(want, compareStorageOrder)

		if got := packed.strings(); !slices.Equal(got, want) {
			t.Fatalf("round %d: packed %v, want %v", round, got, want)
		}
		for _, s := range want {
			if !packed.find(s) {
				t.Fatalf("round %d: %s not found", round, s)
			}
		}
		for s := range removed {
			if packed.find(s) {
				t.Fatalf("round %d: removed %s still found", round, s)
			}
		}
	}
}

// A LIST answered from the index allocates the answer's slice, not one object per serial: the
// serials are substrings of the index's one string (what keeps a large index cheap for the
// collector; see packedSerials).
func TestCertIndexListDoesNotCopyEachSerial(t *testing.T) {
	ctx := context.Background()
	storage := &logical.InmemStorage{}
	var x certIndex
	s := x.track(storage)
	for i := 0; i < 1000; i++ {
		if err := s.Put(ctx, &logical.StorageEntry{Key: fmt.Sprintf("%s%02x-%02x", certStoragePrefix, i/256, i%256), Value: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if keys, err := x.list(ctx, s); err != nil || len(keys) != 1000 {
		t.Fatalf("LIST: %d keys, %v", len(keys), err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if keys, err := x.list(ctx, s); err != nil || len(keys) != 1000 {
			t.Fatalf("LIST: %d keys, %v", len(keys), err)
		}
	})
	if allocs > 2 {
		t.Fatalf("a LIST of 1,000 indexed serials made %.0f allocations, want the slice alone", allocs)
	}
}
