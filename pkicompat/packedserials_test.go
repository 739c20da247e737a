package pkicompat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

// The packed answer encodes, inside a response's data, to exactly the bytes encoding/json writes
// for the same serials as a []string (what native's LIST answer holds), through any merge.
func TestPackedSerialsEncodeAsAStringSlice(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	serial := func() string {
		n := 1 + rng.Intn(20)
		b := make([]byte, n)
		rng.Read(b)
		out := ""
		for i, c := range b {
			if i > 0 {
				out += ":"
			}
			out += fmt.Sprintf("%02x", c)
		}
		return out
	}
	var want []string
	packed, ok := packSerials(nil)
	if !ok {
		t.Fatal("an empty list is not packable")
	}
	for round := 0; round < 200; round++ {
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
		slices.SortFunc(added, compareStorageOrder[string, string])
		if packed, ok = packed.merge(added, removed); !ok {
			t.Fatalf("round %d: merge refused plain serials %v", round, added)
		}
		want = slices.DeleteFunc(append(want, added...), func(s string) bool { return removed[s] })
		slices.SortFunc(want, compareStorageOrder[string, string])

		if got := packed.strings(); !slices.Equal(got, want) {
			t.Fatalf("round %d: packed %v, want %v", round, got, want)
		}
		for _, s := range want {
			if !packed.find(s) {
				t.Fatalf("round %d: %s not found", round, s)
			}
		}
		if packed.find(serial() + ":00") {
			t.Fatalf("round %d: found a serial never added", round)
		}
		if len(want) == 0 {
			continue
		}
		got, err := json.Marshal(map[string]interface{}{"keys": packed})
		if err != nil {
			t.Fatal(err)
		}
		exp, _ := json.Marshal(map[string]interface{}{"keys": want})
		if !bytes.Equal(got, exp) {
			t.Fatalf("round %d: encoded %s, want %s", round, got, exp)
		}
	}
}

// A key JSON would have to escape (only sys/raw can write one) is not packed: the index steps
// aside and LIST answers from storage, escaped as encoding/json escapes it.
func TestCertIndexStepsAsideForKeysJSONEscapes(t *testing.T) {
	ctx := context.Background()
	storage := &logical.InmemStorage{}
	var x certIndex
	s := x.track(storage)
	for _, key := range []string{"aa:bb", `a"b`, "c<d"} {
		if err := s.Put(ctx, &logical.StorageEntry{Key: certStoragePrefix + key, Value: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		keys, err := x.list(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if keys.packed != nil {
			t.Fatal("serials JSON must escape were packed")
		}
		got, _ := json.Marshal(keys.listResponse(true).Data)
		exp, _ := json.Marshal(logical.ListResponse([]string{`a"b`, "aa:bb", "c<d"}).Data)
		if !bytes.Equal(got, exp) {
			t.Fatalf("LIST keys %s, want %s", got, exp)
		}
	}

	// A plain index that then sees such a key stops answering from memory.
	var y certIndex
	s = y.track(&logical.InmemStorage{})
	if err := s.Put(ctx, &logical.StorageEntry{Key: certStoragePrefix + "aa", Value: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if keys, _ := y.list(ctx, s); keys.packed == nil || !slices.Equal(keys.serials(), []string{"aa"}) {
		t.Fatalf("LIST = %v from the index, want [aa]", keys.serials())
	}
	if err := s.Put(ctx, &logical.StorageEntry{Key: certStoragePrefix + `b\c`, Value: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	keys, err := y.list(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if keys.packed != nil || !slices.Equal(keys.serials(), []string{"aa", `b\c`}) {
		t.Fatalf("LIST = %v (packed %v), want [aa b\\c] from storage", keys.serials(), keys.packed != nil)
	}
}
