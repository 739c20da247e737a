package pkicompat

import (
	"sync"
	"time"

	"github.com/hashicorp/vault/sdk/helper/consts"
	"github.com/hashicorp/vault/sdk/logical"
)

// replicationStateRefresh is how long the node's replication state, read from Vault, is reused
// by a plugin process's engine. A variable so tests can watch a change arrive.
var replicationStateRefresh = time.Second

// pluginSystemView is Vault's system view for an engine in its own process, with the replication
// state answered from memory.
//
// Why: framework.Backend.HandleRequest asks the system view for the replication state on every
// request to a path declared with Operations, before it looks at whether the operation has a
// forwarding flag (sdk framework/backend.go). In a plugin process the system view is a gRPC
// client (sdk plugin/grpc_system.go), so every request, a sign or a role read alike, made one
// more round trip into Vault and back before its handler ran.
//
// The state changes only when the node becomes or stops being a performance standby or a
// secondary (Vault Enterprise); read at most once per replicationStateRefresh, the change reaches
// the forwarding checks and readOnlyNode within that time. A failed read is Unknown, as the
// gRPC client reports it, and is read again after the same time.
//
// Only the plugin factory wraps its system view: in process the view is Vault's own (no round
// trip), and it may offer more than logical.SystemView (entropy.Sourcer, which
// framework.Backend.GetRandomReader looks for), which a wrapper would hide. The gRPC client
// offers nothing beyond logical.SystemView that the SDK or this engine looks for.
type pluginSystemView struct {
	logical.SystemView
	replication refreshed[consts.ReplicationState]
}

func (v *pluginSystemView) ReplicationState() consts.ReplicationState {
	return v.replication.get(replicationStateRefresh, v.SystemView.ReplicationState)
}

// withPluginSystemView is conf with its system view wrapped (conf itself is left as it is).
func withPluginSystemView(conf *logical.BackendConfig) *logical.BackendConfig {
	if conf == nil || conf.System == nil {
		return conf
	}
	c := *conf
	c.System = &pluginSystemView{SystemView: conf.System}
	return &c
}

// refreshed is a value read from Vault and reused until it is older than the age given. Callers
// that find it stale while another is reading it wait for that one read instead of each
// sending their own.
type refreshed[T any] struct {
	mu    sync.Mutex
	read  time.Time
	value T
}

func (r *refreshed[T]) get(maxAge time.Duration, read func() T) T {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.read.IsZero() || now.Sub(r.read) >= maxAge || now.Before(r.read) {
		r.value = read()
		r.read = now
	}
	return r.value
}
