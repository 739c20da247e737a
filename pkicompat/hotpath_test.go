package pkicompat_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/helper/consts"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// countingStorage counts reads and writes per key prefix (the part up to the first '/').
type countingStorage struct {
	logical.Storage
	mu                sync.Mutex
	gets, puts, lists map[string]int
}

func prefixOf(key string) string {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i+1]
	}
	return key
}

func (s *countingStorage) Get(ctx context.Context, key string) (*logical.StorageEntry, error) {
	s.mu.Lock()
	s.gets[prefixOf(key)]++
	s.mu.Unlock()
	return s.Storage.Get(ctx, key)
}

func (s *countingStorage) Put(ctx context.Context, e *logical.StorageEntry) error {
	s.mu.Lock()
	s.puts[prefixOf(e.Key)]++
	s.mu.Unlock()
	return s.Storage.Put(ctx, e)
}

func (s *countingStorage) List(ctx context.Context, prefix string) ([]string, error) {
	s.mu.Lock()
	s.lists[prefix]++
	s.mu.Unlock()
	return s.Storage.List(ctx, prefix)
}

func (s *countingStorage) listCount(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists[prefix]
}

func (s *countingStorage) counts(prefix string) (gets, puts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets[prefix], s.puts[prefix]
}

// countingSystemView counts the lease-TTL lookups and replication-state reads, each a call back
// into Vault for a plugin, and answers the replication state stored last.
type countingSystemView struct {
	*logical.StaticSystemView
	leaseLookups     atomic.Int64
	replicationReads atomic.Int64
	replication      atomic.Uint32
}

func (v *countingSystemView) ReplicationState() consts.ReplicationState {
	v.replicationReads.Add(1)
	return consts.ReplicationState(v.replication.Load())
}

func (v *countingSystemView) DefaultLeaseTTL() time.Duration {
	v.leaseLookups.Add(1)
	return v.StaticSystemView.DefaultLeaseTTL()
}

func (v *countingSystemView) MaxLeaseTTL() time.Duration {
	v.leaseLookups.Add(1)
	return v.StaticSystemView.MaxLeaseTTL()
}

// countedMount is one mount whose storage and system-view calls are counted.
type countedMount struct {
	t       testing.TB
	backend logical.Backend
	storage *countingStorage
	sys     *countingSystemView
}

func newCountedMount(t testing.TB) *countedMount {
	t.Helper()
	server, err := pkitest.New()
	if err != nil {
		t.Fatal(err)
	}
	sys := &countingSystemView{StaticSystemView: pkitest.SystemView()}
	storage := &countingStorage{Storage: &logical.InmemStorage{}, gets: map[string]int{}, puts: map[string]int{}, lists: map[string]int{}}
	ctx := context.Background()
	// The plugin binary's factory: these tests count what crosses the plugin connection.
	b, err := pkicompat.PluginFactory(server.Provider(), "v0.0.0-test")(ctx, &logical.BackendConfig{
		Logger: hclog.NewNullLogger(), System: sys, Config: map[string]string{}, StorageView: storage,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Initialize(ctx, &logical.InitializationRequest{Storage: storage}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Cleanup(ctx) })
	m := &countedMount{t: t, backend: b, storage: storage, sys: sys}
	m.write("config", map[string]interface{}{"url": "https://ca.example.test", "password": pkitest.Password})
	// No ttl or max_ttl: the mount's lease TTLs decide, as for most roles in use.
	m.write("roles/web", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true})
	return m
}

func (m *countedMount) write(path string, data map[string]interface{}) *logical.Response {
	m.t.Helper()
	resp, err := m.backend.HandleRequest(context.Background(), &logical.Request{
		Operation: logical.UpdateOperation, Path: path, Data: data, Storage: m.storage,
	})
	if err != nil || (resp != nil && resp.IsError()) {
		m.t.Fatalf("write %s: %v %v", path, err, resp)
	}
	return resp
}

func (m *countedMount) issueNotAfter() time.Time {
	m.t.Helper()
	resp := m.write("issue/web", map[string]interface{}{"common_name": "www.example.com"})
	block, _ := pem.Decode([]byte(resp.Data["certificate"].(string)))
	if block == nil {
		m.t.Fatal("issue/web answered no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		m.t.Fatal(err)
	}
	return cert.NotAfter
}

// Issuance from a role without ttl/max_ttl reads the mount's lease TTLs from Vault once per
// refresh period, not twice per request.
func TestIssuanceReusesMountLeaseTTLs(t *testing.T) {
	m := newCountedMount(t)
	mountDefaultTTL := m.sys.DefaultLeaseTTLVal
	start := time.Now()
	const issues = 10
	for i := 0; i < issues; i++ {
		notAfter := m.issueNotAfter()
		if d := time.Until(notAfter); d < mountDefaultTTL-time.Hour || d > mountDefaultTTL+time.Hour {
			t.Fatalf("NotAfter in %v, want the mount's default lease TTL %v", d, mountDefaultTTL)
		}
	}
	// Each refresh reads both values; a refresh happens at most once per second of the run.
	refreshes := 1 + int64(time.Since(start)/time.Second)
	if got := m.sys.leaseLookups.Load(); got > 2*refreshes {
		t.Fatalf("%d lease-TTL lookups for %d issuances in %v, want at most %d", got, issues, time.Since(start), 2*refreshes)
	}
}

// The SDK's framework asks the system view for the replication state on every request, a call
// into Vault from a plugin; the plugin engine reads it once per refresh period and still sees a
// change: on a performance standby a role write answers ErrReadOnly, which makes Vault forward it
// to the active node.
func TestRequestsReuseTheReplicationState(t *testing.T) {
	defer pkicompat.SetReplicationStateRefresh(time.Hour)()
	m := newCountedMount(t)
	before := m.sys.replicationReads.Load()
	for i := 0; i < 10; i++ {
		m.issueNotAfter()
		m.write("roles/web", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true})
	}
	if reads := m.sys.replicationReads.Load() - before; reads != 0 {
		t.Fatalf("10 issuances and 10 role writes read the replication state %d more times, want 0", reads)
	}

	m.sys.replication.Store(uint32(consts.ReplicationPerformanceStandby))
	defer pkicompat.SetReplicationStateRefresh(0)()
	_, err := m.backend.HandleRequest(context.Background(), &logical.Request{
		Operation: logical.UpdateOperation, Path: "roles/web", Storage: m.storage,
		Data: map[string]interface{}{"allowed_domains": "example.org"},
	})
	if !errors.Is(err, logical.ErrReadOnly) {
		t.Fatalf("role write once the node is a performance standby: %v, want ErrReadOnly", err)
	}
}

// A tuned mount's lease TTLs reach issuance once the cached values are refreshed.
func TestIssuanceSeesTunedMount(t *testing.T) {
	defer pkicompat.SetLeaseTTLRefresh(0)()
	m := newCountedMount(t)
	mountDefaultTTL := m.sys.DefaultLeaseTTLVal
	if d := time.Until(m.issueNotAfter()); d < mountDefaultTTL-time.Hour {
		t.Fatalf("NotAfter in %v, want about %v", d, mountDefaultTTL)
	}
	m.sys.DefaultLeaseTTLVal = 2 * time.Hour // vault secrets tune -default-lease-ttl=2h
	if d := time.Until(m.issueNotAfter()); d < time.Hour || d > 3*time.Hour {
		t.Fatalf("NotAfter in %v after the tune, want about 2h", d)
	}
}

// Recording the issuing CA costs no storage call per issuance once its entry is stored; another
// node's change to the entry (invalidate) makes the next issuance look at storage again.
func TestIssuanceRecordsIssuerWithoutStorageCalls(t *testing.T) {
	m := newCountedMount(t)
	m.issueNotAfter()
	getsBefore, putsBefore := m.storage.counts("issuers/")
	for i := 0; i < 10; i++ {
		m.issueNotAfter()
	}
	gets, puts := m.storage.counts("issuers/")
	if gets != getsBefore || puts != putsBefore {
		t.Fatalf("10 issuances read issuers/ %d times and wrote it %d times, want 0 and 0", gets-getsBefore, puts-putsBefore)
	}

	ctx := context.Background()
	keys, err := m.storage.List(ctx, "issuers/")
	if err != nil || len(keys) != 1 {
		t.Fatalf("issuers/ = %v, %v; want one entry", keys, err)
	}
	// Another node removed the entry (e.g. a restored snapshot): storage tells this node.
	if err := m.storage.Delete(ctx, "issuers/"+keys[0]); err != nil {
		t.Fatal(err)
	}
	m.backend.InvalidateKey(ctx, "issuers/"+keys[0])
	m.issueNotAfter()
	if after, err := m.storage.List(ctx, "issuers/"); err != nil || len(after) != 1 || after[0] != keys[0] {
		t.Fatalf("issuers/ after invalidation and one issuance = %v, %v; want [%s] again", after, err, keys[0])
	}
}

func (m *countedMount) issue(cn string) (*logical.Response, error) {
	return m.backend.HandleRequest(context.Background(), &logical.Request{
		Operation: logical.UpdateOperation, Path: "issue/web", Data: map[string]interface{}{"common_name": cn}, Storage: m.storage,
	})
}

func (m *countedMount) mustRefuse(cn, want string) {
	m.t.Helper()
	resp, err := m.issue(cn)
	text := ""
	switch {
	case err != nil:
		text = err.Error()
	case resp != nil && resp.IsError():
		text = resp.Error().Error()
	default:
		m.t.Fatalf("issue %s succeeded, want a refusal containing %q", cn, want)
	}
	if !strings.Contains(text, want) {
		m.t.Fatalf("issue %s refused with %q, want %q", cn, text, want)
	}
}

// Issuance reads its role from storage once; a role write, a role delete and another node's
// change (invalidate) all reach the next issuance.
func TestIssuanceReadsRoleOnceAndSeesChanges(t *testing.T) {
	m := newCountedMount(t)
	m.issueNotAfter()
	getsBefore, _ := m.storage.counts("role/")
	for i := 0; i < 10; i++ {
		m.issueNotAfter()
	}
	if gets, _ := m.storage.counts("role/"); gets != getsBefore {
		t.Fatalf("10 issuances read role/ %d times, want 0", gets-getsBefore)
	}

	// A write on this node.
	m.write("roles/web", map[string]interface{}{"allowed_domains": "example.org", "allow_subdomains": true})
	m.mustRefuse("www.example.com", "www.example.com")
	if resp, err := m.issue("www.example.org"); err != nil || resp.IsError() {
		t.Fatalf("issue after the role write: %v %v", err, resp)
	}

	// Another node's write: storage changes, then Vault invalidates the key here.
	ctx := context.Background()
	entry, err := logical.StorageEntryJSON("role/web", map[string]interface{}{"allowed_domains": []string{"example.net"}, "allow_subdomains": true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.storage.Put(ctx, entry); err != nil {
		t.Fatal(err)
	}
	m.backend.InvalidateKey(ctx, "role/web")
	m.mustRefuse("www.example.org", "www.example.org")
	if resp, err := m.issue("www.example.net"); err != nil || resp.IsError() {
		t.Fatalf("issue after another node's role write: %v %v", err, resp)
	}

	// A delete on this node.
	if _, err := m.backend.HandleRequest(ctx, &logical.Request{Operation: logical.DeleteOperation, Path: "roles/web", Storage: m.storage}); err != nil {
		t.Fatal(err)
	}
	m.mustRefuse("www.example.net", "unknown role")
}

// BenchmarkSignThroughEngine is the engine's own cost of sign/:role (request parsing, policy,
// CSR checks, the record write, the response) over the in-memory CA: what the plugin process
// adds to a CA round trip, without the plugin connection.
func BenchmarkSignThroughEngine(b *testing.B) {
	m := newCountedMount(b)
	m.write("roles/web", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "key_type": "ec", "key_bits": 256})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "bench.example.com"}, DNSNames: []string{"bench.example.com"},
	}, key)
	if err != nil {
		b.Fatal(err)
	}
	csr := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	req := map[string]interface{}{"csr": csr, "common_name": "bench.example.com"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.write("sign/web", req)
	}
}

// With no request held for approval, issuance does not read pending/ on every request (one
// List, then memory); a match another node wrote (invalidate) makes the next one look again.
func TestIssuanceWithNothingHeldSkipsPendingReads(t *testing.T) {
	m := newCountedMount(t)
	m.issueNotAfter()
	getsBefore, _ := m.storage.counts("pending/")
	listsBefore := m.storage.listCount("pending/match/")
	if listsBefore != 1 {
		t.Fatalf("the first issuance listed pending/match/ %d times, want 1", listsBefore)
	}
	for i := 0; i < 10; i++ {
		m.issueNotAfter()
	}
	gets, _ := m.storage.counts("pending/")
	if lists := m.storage.listCount("pending/match/"); gets != getsBefore || lists != listsBefore {
		t.Fatalf("10 issuances with nothing held read pending/ %d times and listed it %d times, want 0 and 0", gets-getsBefore, lists-listsBefore)
	}
	m.backend.InvalidateKey(context.Background(), "pending/match/0123")
	m.issueNotAfter()
	if lists := m.storage.listCount("pending/match/"); lists != listsBefore+1 {
		t.Fatalf("after another node wrote a match the next issuance listed pending/match/ %d times, want 1", lists-listsBefore)
	}
}
