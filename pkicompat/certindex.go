package pkicompat

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// LIST certs/ from memory. Native PKI answers it with one storage List inside Vault; this engine
// would pay that List over the plugin connection (every key sent to the plugin) and then send
// the keys back in its answer. The index below keeps this node's view of the certs/ keys, built
// from storage on the first LIST and then kept up to date by every write this backend makes:
// every request's storage (and the storage of Initialize, which migrates older records) goes
// through indexedStorage, so a put or delete under certs/ is noted whichever code path made it.
//
// Why it stays right in a cluster:
//   - Only the active node writes. OSS standbys forward every request and hold no mounts; a node
//     that becomes active sets its mounts up afresh, with an empty index.
//   - Performance standbys serve LIST themselves and see the active node's writes only through
//     Invalidate: any invalidated certs/ key drops the index, so their next LIST reads storage.
//   - A write whose outcome is unknown (an error) drops the index, as does a nested key, which
//     the engine never writes.
//   - Anything outside the engine that could still change certs/ (sys/raw edits, an operator's
//     storage surgery) is bounded by certIndexMaxAge: after it the next LIST reads storage again.

// certIndexMaxAge is how long an index built from storage answers LIST before it is rebuilt from
// storage; see above.
var certIndexMaxAge = 10 * time.Minute

// certIndexMaxEntries bounds the index's memory (about 64 bytes a serial, so about 13 MiB): a
// mount holding more answers LIST from storage every time, as without an index, rather than
// keep a large share of the process's memory (see cmd/keyfactor's soft memory limit).
var certIndexMaxEntries = 200_000

type certIndexState int

const (
	certIndexEmpty certIndexState = iota // nothing known: LIST reads storage
	certIndexBuilding
	certIndexReady
)

// certIndex is the sorted list of certs/ entries in their display form (':' separated), packed
// as LIST's JSON answer (packedserials.go), plus the changes noted since it was last merged.
type certIndex struct {
	buildMu sync.Mutex // one build from storage at a time

	mu      sync.Mutex
	state   certIndexState
	gen     uint64 // bumped by every drop, so a build that started before one is discarded
	builtAt time.Time
	// sorted is never changed in place: a LIST answer may still be encoding it.
	sorted *packedSerials
	// changes since sorted was made (or since the build started): display serial -> present.
	changes map[string]bool
}

// indexedStorage is a request's storage that tells the index about certs/ writes.
type indexedStorage struct {
	logical.Storage
	index *certIndex
}

func (s indexedStorage) Put(ctx context.Context, e *logical.StorageEntry) error {
	err := s.Storage.Put(ctx, e)
	s.index.noteWrite(e.Key, true, err)
	return err
}

func (s indexedStorage) Delete(ctx context.Context, key string) error {
	err := s.Storage.Delete(ctx, key)
	s.index.noteWrite(key, false, err)
	return err
}

// Initialize is framework.Backend's, with the storage noting certs/ writes (the migration of
// older records writes and removes certs/ entries).
func (b *backend) Initialize(ctx context.Context, req *logical.InitializationRequest) error {
	if req != nil && req.Storage != nil {
		req.Storage = b.certIndex.track(req.Storage)
	}
	return b.Backend.Initialize(ctx, req)
}

func (x *certIndex) track(s logical.Storage) logical.Storage {
	if _, ok := s.(indexedStorage); ok {
		return s
	}
	return indexedStorage{Storage: s, index: x}
}

// noteWrite records a put (present) or delete of key once storage answered.
func (x *certIndex) noteWrite(key string, present bool, err error) {
	name, ok := strings.CutPrefix(key, certStoragePrefix)
	if !ok {
		return
	}
	if err != nil || name == "" || strings.Contains(name, "/") {
		x.drop()
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.state == certIndexEmpty {
		return // the next build reads storage, which has the write
	}
	x.changes[displaySerial(name)] = present
	if x.sorted.len()+len(x.changes) > certIndexMaxEntries {
		x.state, x.sorted, x.changes = certIndexEmpty, nil, nil
		x.gen++
	}
}

// drop forgets everything; the next LIST reads storage.
func (x *certIndex) drop() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.state, x.sorted, x.changes = certIndexEmpty, nil, nil
	x.gen++
}

// invalidate is called for keys another node changed.
func (x *certIndex) invalidate(key string) {
	if strings.HasPrefix(key, certStoragePrefix) {
		x.drop()
	}
}

// list answers LIST certs/: the serials in storage order, in display form.
func (x *certIndex) list(ctx context.Context, s logical.Storage) (certKeys, error) {
	if keys, ok := x.current(); ok {
		return certKeys{packed: keys}, nil
	}
	x.buildMu.Lock()
	defer x.buildMu.Unlock()
	if keys, ok := x.current(); ok {
		return certKeys{packed: keys}, nil // built by the LIST this one waited for
	}
	x.mu.Lock()
	x.state, x.sorted, x.changes = certIndexBuilding, nil, map[string]bool{}
	gen := x.gen
	x.mu.Unlock()

	serials, err := listSerials(ctx, s, certStoragePrefix)
	if err != nil {
		x.drop()
		return certKeys{}, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.gen != gen {
		// Dropped while listing: answer from storage as it was, build again next time.
		return certKeys{listed: serials}, nil
	}
	packed, plain := packSerials(serials)
	if len(serials) > certIndexMaxEntries || !plain {
		x.state, x.changes = certIndexEmpty, nil
		return certKeys{listed: serials}, nil
	}
	x.state, x.sorted, x.builtAt = certIndexReady, packed, time.Now()
	x.applyChanges()
	if x.state != certIndexReady {
		return certKeys{listed: serials}, nil // a change could not be packed: storage's answer
	}
	return certKeys{packed: x.sorted}, nil
}

// current is the index's answer when it has a fresh one.
func (x *certIndex) current() (*packedSerials, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.state != certIndexReady || time.Since(x.builtAt) > certIndexMaxAge {
		return nil, false
	}
	x.applyChanges()
	if x.state != certIndexReady {
		return nil, false
	}
	return x.sorted, true
}

// applyChanges merges the noted changes into a new packed list. Called with mu held. A serial
// that cannot be packed (not plain, see plainSerial) empties the index: LIST reads storage.
func (x *certIndex) applyChanges() {
	if len(x.changes) == 0 {
		return
	}
	var added []string
	removed := map[string]bool{}
	for serial, present := range x.changes {
		found := x.sorted.find(serial)
		switch {
		case present && !found:
			added = append(added, serial)
		case !present && found:
			removed[serial] = true
		}
	}
	x.changes = map[string]bool{}
	if len(added) == 0 && len(removed) == 0 {
		return
	}
	slices.SortFunc(added, compareStorageOrder[string, string])
	merged, ok := x.sorted.merge(added, removed)
	if !ok {
		x.state, x.sorted, x.changes = certIndexEmpty, nil, nil
		x.gen++
		return
	}
	x.sorted = merged
}

// compareStorageOrder orders display serials as their storage keys sort (storage Lists are
// sorted by key, and native answers in that order): ':' compares as the '-' it is stored as.
func compareStorageOrder[A, B ~string | ~[]byte](a A, b B) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca == ':' {
			ca = '-'
		}
		if cb == ':' {
			cb = '-'
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}
