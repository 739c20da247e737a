package pkitest

import (
	"context"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/logical"
)

// Mount is one secrets engine mounted in-process, in the manner of net/http/httptest: the
// backend a logical.Factory builds, on in-memory storage, initialised as Vault initialises a
// mount and cleaned up when the test ends. Every in-process test of this project (pkicompat's,
// the plugin binary's, and the native-versus-plugin comparison) mounts engines this way.
type Mount struct {
	Backend logical.Backend
	// Storage is the mount's storage, for tests that inspect it directly. The backend and
	// Handle see it through a logical.StorageView, as Vault hands every mount its storage, so
	// keys Vault refuses (holding "..") are refused here too.
	Storage *logical.InmemStorage
	view    logical.Storage
	// MountPoint is set on every request (native PKI builds some URLs from it); may be "".
	MountPoint string
}

// SystemView is the system view of a mount tuned as the project's test Vault tunes it: default
// lease 768h, max lease 87600h (`secrets tune -max-lease-ttl=87600h`). Default TTLs and TTL
// warnings derive from it, so engines that are compared must share it.
func SystemView() *logical.StaticSystemView {
	sv := logical.TestSystemView()
	sv.DefaultLeaseTTLVal = 768 * time.Hour
	sv.MaxLeaseTTLVal = 87600 * time.Hour
	return sv
}

// NewMount builds factory's backend over storage (nil for fresh storage; pass an earlier
// mount's Storage to mount again, as after a restart) with the given system view (nil for
// SystemView()).
func NewMount(t testing.TB, factory logical.Factory, storage *logical.InmemStorage, system logical.SystemView) *Mount {
	t.Helper()
	return NewMountWithLogger(t, factory, storage, system, hclog.NewNullLogger())
}

// NewMountWithLogger is NewMount with the backend logging to logger, for tests that read what an
// operator would see in Vault's log.
func NewMountWithLogger(t testing.TB, factory logical.Factory, storage *logical.InmemStorage, system logical.SystemView, logger hclog.Logger) *Mount {
	t.Helper()
	if storage == nil {
		storage = &logical.InmemStorage{}
	}
	if system == nil {
		system = SystemView()
	}
	ctx := context.Background()
	view := logical.NewStorageView(storage, "")
	b, err := factory(ctx, &logical.BackendConfig{
		Logger: logger, System: system, Config: map[string]string{}, StorageView: view,
	})
	if err != nil {
		t.Fatalf("mounting: factory: %v", err)
	}
	if err := b.Initialize(ctx, &logical.InitializationRequest{Storage: view}); err != nil {
		t.Fatalf("mounting: initialize: %v", err)
	}
	t.Cleanup(func() { b.Cleanup(ctx) })
	return &Mount{Backend: b, Storage: storage, view: view}
}

// Handle sends one request to the backend and returns it with the backend's answer.
func (m *Mount) Handle(op logical.Operation, path string, data map[string]interface{}) (*logical.Request, *logical.Response, error) {
	req := &logical.Request{Operation: op, Path: path, Data: data, Storage: m.view, MountPoint: m.MountPoint}
	resp, err := m.Backend.HandleRequest(context.Background(), req)
	return req, resp, err
}

// HandleRequest sends req to the backend over the mount's storage, for tests that set what a
// token brings to a request (EntityID, DisplayName, Connection).
func (m *Mount) HandleRequest(req *logical.Request) (*logical.Response, error) {
	req.Storage, req.MountPoint = m.view, m.MountPoint
	return m.Backend.HandleRequest(context.Background(), req)
}
