package pkicompat

import (
	"context"
	"strings"
	"sync"

	"github.com/hashicorp/vault/sdk/logical"
)

// storedIssuers remembers, per CA name, the issuer entries this node knows are in storage, so
// recording the CA of an issuance needs no storage call once its entry exists. The engine never
// deletes issuer entries; a change made on another node arrives through invalidate, which
// forgets the entry so the next issuance looks at storage again.
type storedIssuers struct {
	mu   sync.RWMutex
	byCA map[string]issuerEntry
}

func (c *storedIssuers) lookup(ca string) (*issuerEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.byCA[ca]
	if !ok {
		return nil, false
	}
	return &e, true
}

func (c *storedIssuers) add(e *issuerEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byCA == nil {
		c.byCA = map[string]issuerEntry{}
	}
	c.byCA[e.CA] = *e
}

// forgetKey drops the entry stored at key (issuers/<id>), if it is one.
func (c *storedIssuers) forgetKey(key string) {
	id, ok := strings.CutPrefix(key, issuerStoragePrefix)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for ca, e := range c.byCA {
		if e.ID == id {
			delete(c.byCA, ca)
		}
	}
}

// rememberIssuer records a CA the mount has used (see storeIssuerIfNew), reading storage only
// the first time this node sees the CA.
func (b *backend) rememberIssuer(ctx context.Context, s logical.Storage, ca string) (*issuerEntry, error) {
	if e, ok := b.storedIssuers.lookup(ca); ok {
		return e, nil
	}
	e, err := storeIssuerIfNew(ctx, s, ca)
	if err != nil {
		return nil, err
	}
	b.storedIssuers.add(e)
	return e, nil
}
