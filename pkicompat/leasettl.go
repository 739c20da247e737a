package pkicompat

import (
	"sync"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// leaseTTLRefresh is how long the mount's lease TTLs, read from Vault, are reused. Vault tells a
// plugin nothing when its mount is tuned, so a `secrets tune` reaches issuance within this time;
// without the cache every issuance from a role without ttl/max_ttl waits for two calls back into
// Vault over the plugin connection. A variable so tests can make every request read them.
var leaseTTLRefresh = time.Second

// mountLeaseTTLs caches the mount's default and maximum lease TTL (per mount: each mount has
// its own backend).
type mountLeaseTTLs struct {
	mu       sync.Mutex
	read     time.Time
	def, max time.Duration
}

// get returns the mount's default and maximum lease TTL, asking Vault when the cached values
// are older than leaseTTLRefresh. Concurrent callers wait for one refresh instead of each
// sending their own.
func (c *mountLeaseTTLs) get(sys logical.SystemView) (def, max time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.read.IsZero() || now.Sub(c.read) >= leaseTTLRefresh || now.Before(c.read) {
		c.def, c.max = sys.DefaultLeaseTTL(), sys.MaxLeaseTTL()
		c.read = now
	}
	return c.def, c.max
}
