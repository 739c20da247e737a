package pkicompat

import "time"

// SetLeaseTTLRefresh changes how long the mount's lease TTLs are reused, for tests that tune a
// mount; the returned function restores it.
func SetLeaseTTLRefresh(d time.Duration) (restore func()) {
	old := leaseTTLRefresh
	leaseTTLRefresh = d
	return func() { leaseTTLRefresh = old }
}
