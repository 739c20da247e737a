package pkicompat

import (
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// SetLeaseTTLRefresh changes how long the mount's lease TTLs are reused, for tests that tune a
// mount; the returned function restores it.
func SetLeaseTTLRefresh(d time.Duration) (restore func()) {
	old := leaseTTLRefresh
	leaseTTLRefresh = d
	return func() { leaseTTLRefresh = old }
}

// SetReplicationStateRefresh changes how long a plugin engine reuses the replication state; the
// returned function restores it.
func SetReplicationStateRefresh(d time.Duration) (restore func()) {
	old := replicationStateRefresh
	replicationStateRefresh = d
	return func() { replicationStateRefresh = old }
}

// WaitForIntentRemovals returns once the intent removals b started after its replies are done,
// so tests can look at storage right after a request.
func WaitForIntentRemovals(b logical.Backend) { b.(*backend).waitForSettles() }

// PreEncodeEveryList makes the plugin process's engines answer every non-empty LIST certs/
// pre-encoded, whatever its size; the returned function restores the threshold.
func PreEncodeEveryList() (restore func()) {
	old := preEncodedMinBytes
	preEncodedMinBytes = 0
	return func() { preEncodedMinBytes = old }
}
