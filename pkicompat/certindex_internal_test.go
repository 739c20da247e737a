package pkicompat

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// The index answers exactly what storage's List answers (same serials, same order) through any
// mix of puts and deletes, including keys of different lengths whose order differs between
// '-' and ':' forms ("1-ab" sorts before "10-ab", "1:ab" after "10:ab").
func TestCertIndexMatchesStorage(t *testing.T) {
	ctx := context.Background()
	storage := &logical.InmemStorage{}
	var x certIndex
	s := x.track(storage)
	rng := rand.New(rand.NewSource(1))
	keys := []string{"1-ab", "10-ab", "1", "ab", "ab-cd", "ab-cd-ef", "0a", "ff-00", "f"}
	for i := 0; i < 40; i++ {
		keys = append(keys, fmt.Sprintf("%02x-%02x", rng.Intn(256), rng.Intn(256)))
	}
	for round := 0; round < 300; round++ {
		key := certStoragePrefix + keys[rng.Intn(len(keys))]
		var err error
		if rng.Intn(3) == 0 {
			err = s.Delete(ctx, key)
		} else {
			err = s.Put(ctx, &logical.StorageEntry{Key: key, Value: []byte(`{}`)})
		}
		if err != nil {
			t.Fatal(err)
		}
		if rng.Intn(4) != 0 {
			continue
		}
		got, err := x.listStrings(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := listSerials(ctx, storage, certStoragePrefix)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: index %v, storage %v", round, got, want)
		}
	}
}

// Writers and LISTs at the same time, the first LIST racing the writes: once all is quiet the
// index answers what storage holds.
func TestCertIndexConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	storage := &logical.InmemStorage{}
	var x certIndex
	s := x.track(storage)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				key := fmt.Sprintf("%scd-%02x-%02x", certStoragePrefix, w, i%50)
				if i%7 == 3 {
					_ = s.Delete(ctx, key)
				} else {
					_ = s.Put(ctx, &logical.StorageEntry{Key: key, Value: []byte(`{}`)})
				}
			}
		}(w)
	}
	for i := 0; i < 20; i++ {
		if _, err := x.listStrings(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	got, _ := x.listStrings(ctx, s)
	want, _ := listSerials(ctx, storage, certStoragePrefix)
	if !slices.Equal(got, want) {
		t.Fatalf("index %d serials, storage %d: %v vs %v", len(got), len(want), got, want)
	}
}

// failingStorage fails every write under certs/ after it reached storage (the outcome a timeout
// leaves unknown).
type failingStorage struct{ logical.Storage }

func (f failingStorage) Put(ctx context.Context, e *logical.StorageEntry) error {
	if err := f.Storage.Put(ctx, e); err != nil {
		return err
	}
	return errors.New("storage timed out")
}

// A write whose outcome is unknown, and an index older than certIndexMaxAge, send the next LIST
// to storage.
func TestCertIndexFallsBackToStorage(t *testing.T) {
	ctx := context.Background()
	storage := &logical.InmemStorage{}
	var x certIndex
	if _, err := x.listStrings(ctx, storage); err != nil {
		t.Fatal(err)
	}
	if err := x.track(failingStorage{storage}).Put(ctx, &logical.StorageEntry{Key: certStoragePrefix + "aa", Value: []byte(`{}`)}); err == nil {
		t.Fatal("the failing put succeeded")
	}
	if got, _ := x.listStrings(ctx, storage); !slices.Equal(got, []string{"aa"}) {
		t.Fatalf("after a failed write LIST = %v, want [aa] from storage", got)
	}

	// Written behind the engine's back (not through its storage, no invalidation).
	if err := storage.Put(ctx, &logical.StorageEntry{Key: certStoragePrefix + "bb", Value: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.listStrings(ctx, storage); !slices.Equal(got, []string{"aa"}) {
		t.Fatalf("LIST = %v, want the index's [aa] within its age", got)
	}
	x.mu.Lock()
	x.builtAt = time.Now().Add(-certIndexMaxAge - time.Second)
	x.mu.Unlock()
	if got, _ := x.listStrings(ctx, storage); !slices.Equal(got, []string{"aa", "bb"}) {
		t.Fatalf("LIST of an old index = %v, want [aa bb] from storage", got)
	}
}

// A mount with more serials than certIndexMaxEntries keeps no index: every LIST reads storage,
// and the answer is still right.
func TestCertIndexStaysBounded(t *testing.T) {
	defer func(old int) { certIndexMaxEntries = old }(certIndexMaxEntries)
	certIndexMaxEntries = 3
	ctx := context.Background()
	storage := &logical.InmemStorage{}
	var x certIndex
	s := x.track(storage)
	put := func(key string) {
		if err := s.Put(ctx, &logical.StorageEntry{Key: certStoragePrefix + key, Value: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	put("aa")
	put("bb")
	if got, _ := x.listStrings(ctx, s); !slices.Equal(got, []string{"aa", "bb"}) {
		t.Fatalf("LIST = %v", got)
	}
	put("cc")
	put("dd") // grows past the bound: the index is dropped
	x.mu.Lock()
	state := x.state
	x.mu.Unlock()
	if state != certIndexEmpty {
		t.Fatalf("index state %v after growing past %d serials, want empty", state, certIndexMaxEntries)
	}
	for i := 0; i < 2; i++ {
		if got, _ := x.listStrings(ctx, s); !slices.Equal(got, []string{"aa", "bb", "cc", "dd"}) {
			t.Fatalf("LIST = %v, want all four from storage", got)
		}
		x.mu.Lock()
		state := x.state
		x.mu.Unlock()
		if state != certIndexEmpty {
			t.Fatalf("an index of %d serials was kept, bound %d", 4, certIndexMaxEntries)
		}
	}
}

// listStrings is list's answer as the serials a client reads.
func (x *certIndex) listStrings(ctx context.Context, s logical.Storage) ([]string, error) {
	keys, err := x.list(ctx, s)
	return keys.serials(), err
}
