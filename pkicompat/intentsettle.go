package pkicompat

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// settleTimeout bounds one background intent removal, so a storage call that never returns
// cannot keep a goroutine (and Clean) waiting forever; a removal that times out leaves the
// intent to the reconciler, which finds the stored record and closes it.
const settleTimeout = 30 * time.Second

// backgroundSettles tracks the intent removals still running after their request answered.
type backgroundSettles struct {
	mu      sync.Mutex
	running map[string]chan struct{} // by intent id; closed when the removal is done
}

func (r *backgroundSettles) start(id string) (done func()) {
	ch := make(chan struct{})
	r.mu.Lock()
	if r.running == nil {
		r.running = map[string]chan struct{}{}
	}
	r.running[id] = ch
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.running, id)
		r.mu.Unlock()
		close(ch)
	}
}

// wait returns once the removals running when it was called have finished; removals started
// meanwhile are not waited for, so a steady stream of issuances cannot hold it up.
func (r *backgroundSettles) wait() {
	r.mu.Lock()
	pending := make([]chan struct{}, 0, len(r.running))
	for _, ch := range r.running {
		pending = append(pending, ch)
	}
	r.mu.Unlock()
	for _, ch := range pending {
		<-ch
	}
}

// settleIntentAfterReply removes the intent of a delivered issuance without holding up the
// reply: the certificate record is already stored, so the outcome is kept whatever happens to
// the removal, and the write-ahead intent (stored before the CA was called) is only cleanup now.
// The order record-then-removal is unchanged; only the caller no longer waits for the second
// storage round trip. A removal that fails or never runs (the process dies) leaves the intent
// to the reconciler, as a failed synchronous removal always did.
func (b *backend) settleIntentAfterReply(ctx context.Context, s logical.Storage, intent *issuanceIntent) {
	if intent == nil {
		return
	}
	done := b.settles.start(intent.ID)
	go func() {
		defer done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		defer cancel()
		b.settleIntent(sctx, s, intent)
	}()
}

// waitForSettles returns once the background intent removals started so far have finished.
// Whatever reads the intents (reconciliation, its status) waits first, so it never counts an
// issuance this node already delivered as unsettled; Clean waits so no removal outlives the mount.
func (b *backend) waitForSettles() {
	b.settles.wait()
}
