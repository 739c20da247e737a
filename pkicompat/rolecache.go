package pkicompat

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/vault/sdk/logical"
)

// storedRoles keeps the roles issuance has read, as stored, so an issuance names its role
// without a storage call; every use decodes its own copy, so no request sees another's changes.
// A role write or delete on this node evicts the name once storage has changed; another node's
// change arrives through invalidate (role/<name>), which evicts too. The generation keeps a read
// that raced with a write from caching the value the write replaced.
type storedRoles struct {
	mu  sync.Mutex
	raw map[string]*logical.StorageEntry
	gen uint64
}

func (c *storedRoles) evict(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.raw, name)
	c.gen++
}

// evictAll forgets every cached role (after a bulk rewrite of role/ entries).
func (c *storedRoles) evictAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw = nil
	c.gen++
}

// evictKey evicts the role stored at key (role/<name>), if it is one.
func (c *storedRoles) evictKey(key string) {
	if name, ok := strings.CutPrefix(key, roleStoragePrefix); ok {
		c.evict(name)
	}
}

// roleForIssue is getRole for the issuance path, served from memory after the first read.
func (b *backend) roleForIssue(ctx context.Context, s logical.Storage, name string) (*roleEntry, error) {
	if err := checkRoleNameToLoad(name); err != nil {
		return nil, err
	}
	c := &b.storedRoles
	c.mu.Lock()
	entry, cached := c.raw[name]
	gen := c.gen
	c.mu.Unlock()
	if !cached {
		var err error
		entry, err = s.Get(ctx, roleStoragePrefix+name)
		if err != nil {
			return nil, fmt.Errorf("reading role %q: %w", name, err)
		}
		if entry == nil {
			return nil, nil
		}
		c.mu.Lock()
		if c.gen == gen {
			if c.raw == nil {
				c.raw = map[string]*logical.StorageEntry{}
			}
			c.raw[name] = entry
		}
		c.mu.Unlock()
	}
	var role roleEntry
	if err := entry.DecodeJSON(&role); err != nil {
		// A role of Keyfactor's older plugin not yet migrated reads as getRole reads it.
		if isLegacyRoleJSON(entry.Value) {
			if legacy, _, lerr := decodeLegacyRole(entry.Value); lerr == nil {
				return legacy, nil
			}
		}
		return nil, fmt.Errorf("decoding role %q: %w", name, err)
	}
	role.upgradeDefaults() // as getRole
	return &role, nil
}
