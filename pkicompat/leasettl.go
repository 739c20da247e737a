package pkicompat

import (
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
	ttls refreshed[[2]time.Duration]
}

// get returns the mount's default and maximum lease TTL, asking Vault when the cached values
// are older than leaseTTLRefresh.
func (c *mountLeaseTTLs) get(sys logical.SystemView) (def, max time.Duration) {
	ttls := c.ttls.get(leaseTTLRefresh, func() [2]time.Duration {
		return [2]time.Duration{sys.DefaultLeaseTTL(), sys.MaxLeaseTTL()}
	})
	return ttls[0], ttls[1]
}
