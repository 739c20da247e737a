package pkicompat_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/helper/certutil"
	"github.com/hashicorp/vault/sdk/helper/consts"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/legacytest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// legacyMount is a mount the older Keyfactor plugin left: its config, two roles in its shape
// (one from its older versions) and four certificates the CA issued, stored under its keys.
type legacyMount struct {
	layout legacytest.Layout
	certs  []legacyIssued
}

// legacyIssued is one certificate of the fixture and what the older plugin knew of it.
type legacyIssued struct {
	cert      *x509.Certificate
	id        string    // Command's id; "" when no kfId/ entry was stored
	revokedAt time.Time // zero when not revoked
	key       string    // its certs/ key
}

// The fixture's certificates, by role in the tests.
const (
	legacyPlain   = iota // Command's serial as key, with an id
	legacyColon          // an older entry keyed with colons, with an id
	legacyNoID           // no kfId/ entry
	legacyRevoked        // revoked by the older plugin
)

// newLegacyMount issues four certificates at the test CA (so the CA knows their ids) and lays
// them out as the older plugin stored them.
func newLegacyMount(t *testing.T, server *pkitest.Server) *legacyMount {
	t.Helper()
	drv, _, err := server.Provider().NewDriver(json.RawMessage(`{"url":"https://ca.example.test","password":"` + pkitest.Password + `"}`))
	if err != nil {
		t.Fatal(err)
	}
	m := &legacyMount{layout: legacytest.Layout{
		// The older plugin's config, every field it stored (empty ones included).
		Config: map[string]interface{}{
			"url": "https://ca.example.test", "api_path": "", "username": "", "password": pkitest.Password,
			"domain": "", "client_id": "", "client_secret": "", "token_url": "", "access_token": "",
			"skip_verify": false, "scopes": nil, "audience": "", "template": "", "ca": "", "command_cert_path": "",
		},
		Roles: map[string]map[string]interface{}{
			// A role the older plugin wrote: max_ttl as a duration string, ttl as nanoseconds.
			"web": legacytest.Role(map[string]interface{}{
				"allowed_domains_list": []string{"example.com"}, "allow_subdomains": true,
				"max_ttl": "720h", "ttl_duration": int64(time.Hour),
			}),
			// A role from its older versions: the comma-separated allowed_domains string next
			// to the list, key usage and OU as strings, lease instead of ttl, empty max_ttl,
			// and generate_lease stored true (the plugin never created leases).
			"old": legacytest.Role(map[string]interface{}{
				"allowed_domains": "kftrain.lab,example.org", "allowed_domains_list": []string{"example.net", "kftrain.lab"},
				"key_usage": "DigitalSignature", "key_usage_list": nil, "ou": "Ops,Dev", "ou_list": nil,
				"lease": "48h", "max_ttl": "", "generate_lease": true,
			}),
		},
		CACache:  []string{pkitest.DefaultCAName},
		CachePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Issuing(pkitest.DefaultCAName).Raw})),
	}}
	revokedAt := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	for i, cn := range []string{"plain.example.com", "colon.example.com", "noid.example.com", "revoked.example.com"} {
		csrPEM, _ := newCSR(t, cn, cn)
		block, _ := pem.Decode([]byte(csrPEM))
		csr, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := drv.Sign(context.Background(), &pkicompat.SignRequest{CSR: csr, DNSNames: []string{cn}})
		if err != nil {
			t.Fatal(err)
		}
		c := legacyIssued{cert: signed.Certificate, id: signed.CertificateID, key: certutil.GetHexFormatted(signed.Certificate.SerialNumber.Bytes(), "")}
		// Command answers PEM with header text and CRLF line ends; the older plugin kept it
		// from the BEGIN line on.
		pemText := strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})), "\n", "\r\n")
		entry := legacytest.Cert{Key: c.key, PEM: []byte(pemText)}
		switch i {
		case legacyColon:
			c.key = certutil.GetHexFormatted(signed.Certificate.SerialNumber.Bytes(), ":")
			entry.Key = c.key
		case legacyNoID:
			c.id = ""
		case legacyRevoked:
			c.revokedAt = revokedAt
			entry.RevokedAt = revokedAt
		}
		if c.id != "" {
			id, err := strconv.ParseInt(c.id, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			entry.KeyfactorID = id
		}
		m.certs = append(m.certs, c)
		m.layout.Certs = append(m.layout.Certs, entry)
	}
	return m
}

// upgradeLegacyMount writes the older plugin's storage and mounts this engine on it; mounting
// runs Vault's initialization, as `vault plugin reload` does.
func upgradeLegacyMount(t *testing.T) (*harness, *legacyMount) {
	t.Helper()
	server, err := pkitest.New()
	if err != nil {
		t.Fatal(err)
	}
	m := newLegacyMount(t, server)
	storage := &logical.InmemStorage{}
	if err := m.layout.Write(context.Background(), storage); err != nil {
		t.Fatal(err)
	}
	return newHarnessOn(t, server, storage), m
}

// uninitialisedBackend is this engine's backend on storage before Vault initialises it, with
// the given system view (nil: the tests' usual one).
func uninitialisedBackend(t *testing.T, server *pkitest.Server, storage logical.Storage, sv logical.SystemView) logical.Backend {
	t.Helper()
	if sv == nil {
		sv = pkitest.SystemView()
	}
	b, err := pkicompat.Factory(server.Provider())(context.Background(), &logical.BackendConfig{System: sv, StorageView: storage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Cleanup(context.Background()) })
	return b
}

func TestLegacyUpgradeRolesKeepTheirMeaning(t *testing.T) {
	h, _ := upgradeLegacyMount(t)

	roles := strList(t, h.list("roles/").data(t), "keys")
	if !slices.Equal(roles, []string{"old", "web"}) {
		t.Fatalf("roles after the upgrade = %v, want old and web", roles)
	}

	web := h.read("roles/web").data(t)
	if got := num(t, web, "max_ttl"); got != 720*3600 {
		t.Errorf("web max_ttl = %d, want 720h in seconds (the stored string)", got)
	}
	if got := num(t, web, "ttl"); got != 3600 {
		t.Errorf("web ttl = %d, want 3600 (the stored nanoseconds)", got)
	}
	if got := strList(t, web, "allowed_domains"); !slices.Equal(got, []string{"example.com"}) {
		t.Errorf("web allowed_domains = %v", got)
	}
	if web["allow_subdomains"] != true || web["allow_bare_domains"] != true {
		t.Errorf("web allow_subdomains=%v allow_bare_domains=%v, want both true (the older plugin allowed the listed domain itself)", web["allow_subdomains"], web["allow_bare_domains"])
	}

	old := h.read("roles/old").data(t)
	if got := strList(t, old, "allowed_domains"); !slices.Equal(got, []string{"kftrain.lab", "example.org", "example.net"}) {
		t.Errorf("old allowed_domains = %v, want the string's domains then the list's, once each", got)
	}
	if got := strList(t, old, "key_usage"); !slices.Equal(got, []string{"DigitalSignature"}) {
		t.Errorf("old key_usage = %v", got)
	}
	if got := strList(t, old, "ou"); !slices.Equal(got, []string{"Ops", "Dev"}) {
		t.Errorf("old ou = %v", got)
	}
	if num(t, old, "ttl") != 48*3600 || num(t, old, "max_ttl") != 0 {
		t.Errorf("old ttl=%v max_ttl=%v, want 48h from lease and no max", old["ttl"], old["max_ttl"])
	}
	if old["generate_lease"] != false {
		t.Errorf("old generate_lease = %v, want false (the older plugin never created leases)", old["generate_lease"])
	}

	// The roles issue as they did: a listed domain itself and its subdomains.
	for _, cn := range []string{"example.com", "www.example.com"} {
		mustOK(t, h.write("issue/web", map[string]interface{}{"common_name": cn}))
	}
	mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "www.example.org"}), 400, "www.example.org")
	mustOK(t, h.write("issue/old", map[string]interface{}{"common_name": "example.org"}))

	// Stored in this engine's form now: a role write of the same shape round-trips.
	entries := h.storedEntries()
	if strings.Contains(string(entries["role/web"]), "allowed_domains_list") {
		t.Errorf("role/web is still in the older shape: %s", entries["role/web"])
	}
	if !strings.Contains(string(entries["legacy-backup/role/web"]), "allowed_domains_list") {
		t.Errorf("the older role/web was not kept in legacy-backup/")
	}
}

func TestLegacyUpgradeCertificatesListReadAndRevoke(t *testing.T) {
	h, m := upgradeLegacyMount(t)

	listed := strList(t, h.list("certs/").data(t), "keys")
	if len(listed) != len(m.certs) {
		t.Fatalf("vault list certs = %v, want the %d certificates the older plugin stored", listed, len(m.certs))
	}
	for _, c := range m.certs {
		colon := certutil.GetHexFormatted(c.cert.SerialNumber.Bytes(), ":")
		if !slices.Contains(listed, colon) {
			t.Errorf("certs/ lacks %s (native colon form)", colon)
		}
		// Read under the spelling the older plugin showed (its key) and the native one.
		for _, path := range []string{"cert/" + c.key, "certs/" + c.key, "cert/" + colon} {
			d := h.read(path).data(t)
			if !parseCertPEM(t, str(t, d, "certificate")).Equal(c.cert) {
				t.Errorf("%s returned another certificate", path)
			}
			if want := c.revokedAt.Unix(); c.revokedAt.IsZero() && num(t, d, "revocation_time") != 0 || !c.revokedAt.IsZero() && num(t, d, "revocation_time") != want {
				t.Errorf("%s revocation_time = %v, want %v", path, d["revocation_time"], c.revokedAt)
			}
		}
	}
	revokedList := strList(t, h.list("certs/revoked/").data(t), "keys")
	wantRevoked := certutil.GetHexFormatted(m.certs[legacyRevoked].cert.SerialNumber.Bytes(), ":")
	if !slices.Equal(revokedList, []string{wantRevoked}) {
		t.Errorf("certs/revoked/ = %v, want %s", revokedList, wantRevoked)
	}

	// Revoking by the serial the older plugin printed reaches the CA with the stored id.
	plain := m.certs[legacyPlain]
	if !strings.HasPrefix(plain.id, "4") {
		t.Fatalf("fixture: want an id starting with 4 (stored as a bare number), got %q", plain.id)
	}
	mustOK(t, h.write("revoke", map[string]interface{}{"serial": plain.key}))
	reqs := h.ca.RevokeRequests()
	if len(reqs) != 1 || reqs[0].CertificateID != plain.id {
		t.Fatalf("revoke sent %+v, want one request with Command id %s", reqs, plain.id)
	}
	if !h.ca.IsRevoked(plain.cert.SerialNumber) {
		t.Errorf("the CA does not show the certificate revoked")
	}
	// Without a stored id the CA is asked by certificate.
	noID := m.certs[legacyNoID]
	mustOK(t, h.write("revoke", map[string]interface{}{"serial_number": noID.key}))
	if reqs := h.ca.RevokeRequests(); reqs[len(reqs)-1].CertificateID != "" || !h.ca.IsRevoked(noID.cert.SerialNumber) {
		t.Errorf("revocation without a stored id: %+v, revoked=%v", reqs[len(reqs)-1], h.ca.IsRevoked(noID.cert.SerialNumber))
	}
	// A certificate the older plugin revoked is not revoked again.
	before := len(h.ca.RevokeRequests())
	d := h.write("revoke", map[string]interface{}{"serial": m.certs[legacyRevoked].key}).data(t)
	if num(t, d, "revocation_time") != m.certs[legacyRevoked].revokedAt.Unix() || len(h.ca.RevokeRequests()) != before {
		t.Errorf("revoking an already revoked certificate: %v, %d new CA requests", d, len(h.ca.RevokeRequests())-before)
	}

	// The older keys are gone, each kept in legacy-backup/; the CA caches are dropped.
	entries := h.storedEntries()
	for key := range entries {
		if strings.HasPrefix(key, "kfId/") || strings.HasPrefix(key, "ca/") || key == "ca_chain/" {
			t.Errorf("older entry %s left in place", key)
		}
	}
	for _, c := range m.layout.Certs {
		if _, ok := entries["legacy-backup/certs/"+c.Key]; !ok {
			t.Errorf("legacy-backup/ lacks certs/%s", c.Key)
		}
		if _, ok := entries["certs/"+c.Key]; ok && strings.ContainsAny(c.Key, ":") {
			t.Errorf("the colon-keyed entry certs/%s was left in place", c.Key)
		}
	}
	if _, ok := entries["legacy-migration/log"]; !ok {
		t.Errorf("no migration log stored")
	}
}

func TestLegacyRoleReadableBeforeMigration(t *testing.T) {
	server, err := pkitest.New()
	if err != nil {
		t.Fatal(err)
	}
	m := newLegacyMount(t, server)
	storage := &logical.InmemStorage{}
	if err := m.layout.Write(context.Background(), storage); err != nil {
		t.Fatal(err)
	}
	// A node that does not migrate (a performance standby): no Initialize work, role reads and
	// issuance still answer from the older shape.
	sv := pkitest.SystemView()
	sv.ReplicationStateVal = consts.ReplicationPerformanceStandby
	h := &harness{t: t, ctx: context.Background(), storage: storage, ca: server,
		mount: pkitest.NewMount(t, pkicompat.Factory(server.Provider()), storage, sv)}
	web := h.read("roles/web").data(t)
	if num(t, web, "max_ttl") != 720*3600 || !slices.Equal(strList(t, web, "allowed_domains"), []string{"example.com"}) {
		t.Errorf("legacy role read = %v", web)
	}
	mustOK(t, h.write("issue/web", map[string]interface{}{"common_name": "www.example.com"}))
	if e, _ := storage.Get(context.Background(), "role/web"); e == nil || !strings.Contains(string(e.Value), "allowed_domains_list") {
		t.Errorf("a read rewrote the role outside the migration")
	}
}

func TestLegacyMigrationOnlyOnTheActiveNode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state consts.ReplicationState
		local bool
	}{
		{"performance standby", consts.ReplicationPerformanceStandby, false},
		{"DR secondary", consts.ReplicationDRSecondary, false},
		{"performance secondary, replicated mount", consts.ReplicationPerformanceSecondary, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server, err := pkitest.New()
			if err != nil {
				t.Fatal(err)
			}
			m := newLegacyMount(t, server)
			storage := &logical.InmemStorage{}
			if err := m.layout.Write(context.Background(), storage); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, storage)
			sv := pkitest.SystemView()
			sv.ReplicationStateVal = tc.state
			sv.LocalMountVal = tc.local
			b := uninitialisedBackend(t, server, storage, sv)
			if err := b.Initialize(context.Background(), &logical.InitializationRequest{Storage: storage}); err != nil {
				t.Fatal(err)
			}
			if after := snapshot(t, storage); !equalSnapshots(before, after) {
				t.Errorf("storage changed on a %s", tc.name)
			}
		})
	}
}

func TestLegacyMigrationRunsOnce(t *testing.T) {
	h, _ := upgradeLegacyMount(t)
	counting := &faultyStorage{inner: h.storage, failAfter: -1}
	if err := h.mount.Backend.Initialize(h.ctx, &logical.InitializationRequest{Storage: counting}); err != nil {
		t.Fatal(err)
	}
	if counting.writes != 0 {
		t.Errorf("a second start wrote %d entries; the migration log should stop it", counting.writes)
	}
}

// TestLegacyMigrationResumesAfterInterruption kills the migration (a failed storage write) after
// each possible number of writes, starts again, and checks the mount ends as after one clean run:
// nothing lost, nothing duplicated.
func TestLegacyMigrationResumesAfterInterruption(t *testing.T) {
	clean, m := upgradeLegacyMount(t)
	want := snapshot(t, clean.storage)
	delete(want, "legacy-migration/log")

	for failAfter := 0; ; failAfter++ {
		storage := &logical.InmemStorage{}
		if err := m.layout.Write(context.Background(), storage); err != nil {
			t.Fatal(err)
		}
		faulty := &faultyStorage{inner: storage, failAfter: failAfter}
		err := uninitialisedBackend(t, clean.ca, storage, nil).Initialize(context.Background(), &logical.InitializationRequest{Storage: faulty})
		if err == nil {
			if failAfter == 0 {
				t.Fatal("a failing first write did not stop the migration")
			}
			break // every interruption point was tried
		}
		// The next start, on a new backend, finishes it.
		if err := uninitialisedBackend(t, clean.ca, storage, nil).Initialize(context.Background(), &logical.InitializationRequest{Storage: storage}); err != nil {
			t.Fatalf("interrupted after %d writes, the next start failed: %v", failAfter, err)
		}
		got := snapshot(t, storage)
		if _, ok := got["legacy-migration/log"]; !ok {
			t.Fatalf("interrupted after %d writes: no migration log after the next start", failAfter)
		}
		delete(got, "legacy-migration/log")
		if !equalSnapshots(got, want) {
			t.Fatalf("interrupted after %d writes, the next start left a different mount:\n%s", failAfter, diffSnapshots(got, want))
		}
		if failAfter > 500 {
			t.Fatal("the migration never finished")
		}
	}
}

func TestLegacyBackupRemovedByTidy(t *testing.T) {
	h, _ := upgradeLegacyMount(t)
	if countPrefix(h.storedEntries(), "legacy-backup/") == 0 {
		t.Fatal("fixture: nothing was backed up")
	}
	// A tidy without the flag keeps the backup.
	mustOK(t, h.write("tidy", map[string]interface{}{"tidy_cert_store": true}))
	waitTidyDone(t, h)
	if countPrefix(h.storedEntries(), "legacy-backup/") == 0 {
		t.Fatal("a tidy without tidy_legacy_backup removed the backup")
	}
	mustOK(t, h.write("tidy", map[string]interface{}{"tidy_legacy_backup": true}))
	waitTidyDone(t, h)
	entries := h.storedEntries()
	if n := countPrefix(entries, "legacy-backup/"); n != 0 {
		t.Errorf("%d legacy-backup/ entries left after tidy_legacy_backup=true", n)
	}
	if !strings.Contains(string(entries["legacy-migration/log"]), "backup_removed") {
		t.Errorf("the migration log does not record the removal: %s", entries["legacy-migration/log"])
	}
	if len(strList(t, h.list("certs/").data(t), "keys")) != 4 {
		t.Errorf("tidy_legacy_backup touched the certificates")
	}
}

func waitTidyDone(t *testing.T, h *harness) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := h.read("tidy-status").data(t)
		if st["state"] == "Finished" {
			return
		}
		if st["state"] == "Error" || time.Now().After(deadline) {
			t.Fatalf("tidy did not finish: %v", st)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func countPrefix(entries map[string][]byte, prefix string) int {
	n := 0
	for k := range entries {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

// faultyStorage fails every write after failAfter writes (never when negative) and counts them,
// standing in for a process killed during the migration.
type faultyStorage struct {
	inner     logical.Storage
	failAfter int
	mu        sync.Mutex
	writes    int
}

var errKilled = errors.New("storage unavailable: process killed")

func (f *faultyStorage) write() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAfter >= 0 && f.writes >= f.failAfter {
		return errKilled
	}
	f.writes++
	return nil
}

func (f *faultyStorage) List(ctx context.Context, prefix string) ([]string, error) {
	return f.inner.List(ctx, prefix)
}

func (f *faultyStorage) Get(ctx context.Context, key string) (*logical.StorageEntry, error) {
	return f.inner.Get(ctx, key)
}

func (f *faultyStorage) Put(ctx context.Context, e *logical.StorageEntry) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.inner.Put(ctx, e)
}

func (f *faultyStorage) Delete(ctx context.Context, key string) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.inner.Delete(ctx, key)
}

// snapshot is every entry of a storage, by key.
func snapshot(t *testing.T, s logical.Storage) map[string]string {
	t.Helper()
	keys, err := logical.CollectKeys(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		e, err := s.Get(context.Background(), k)
		if err != nil || e == nil {
			t.Fatalf("get %s: %v", k, err)
		}
		out[k] = string(e.Value)
	}
	return out
}

func equalSnapshots(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func diffSnapshots(got, want map[string]string) string {
	var lines []string
	for k, v := range got {
		if w, ok := want[k]; !ok {
			lines = append(lines, "extra   "+k)
		} else if w != v {
			lines = append(lines, "differs "+k+"\n  got  "+v+"\n  want "+w)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			lines = append(lines, "missing "+k)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestLegacyRollbackRestoresTheOlderLayout: after an upgrade (and a revocation made by this
// engine), legacy-backup/restore gives back exactly what the older plugin had stored, except the
// CA caches it fetches again; a later start migrates again.
func TestLegacyRollbackRestoresTheOlderLayout(t *testing.T) {
	h, m := upgradeLegacyMount(t)
	mustOK(t, h.write("revoke", map[string]interface{}{"serial": m.certs[legacyPlain].key}))

	d := h.write("legacy-backup/restore", nil).data(t)
	entries, err := m.layout.Entries()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for k, v := range entries {
		if !strings.HasPrefix(k, "ca/") && k != "ca_chain/" {
			want[k] = string(v)
		}
	}
	if num(t, d, "restored_entries") != int64(len(want)-1) { // config was never replaced
		t.Errorf("restored_entries = %v, want %d", d["restored_entries"], len(want)-1)
	}
	got := snapshot(t, h.storage)
	for k := range got {
		if strings.HasPrefix(k, "legacy-backup/") {
			delete(got, k)
		}
	}
	if !equalSnapshots(got, want) {
		t.Fatalf("after the rollback the mount differs from the older plugin's:\n%s", diffSnapshots(got, want))
	}

	// Restarted before the older binary is back, this engine migrates again.
	again := newHarnessOn(t, h.ca, h.storage)
	if n := len(strList(t, again.list("certs/").data(t), "keys")); n != len(m.certs) {
		t.Errorf("%d certificates after migrating again, want %d", n, len(m.certs))
	}

	// Without a backup there is nothing to restore.
	fresh := newHarness(t)
	mustFail(t, fresh.write("legacy-backup/restore", nil), 400, "no copy")
}

// TestLegacyMigrationOddEntries: a revocation whose certificate entry is gone (the certificate is
// in the revocation entry), an id whose certificate is gone, and an entry that holds no
// certificate. Nothing is dropped silently: the revocation becomes a record, the others are set
// aside in legacy-backup/ and named in the log.
func TestLegacyMigrationOddEntries(t *testing.T) {
	server, err := pkitest.New()
	if err != nil {
		t.Fatal(err)
	}
	m := newLegacyMount(t, server)
	entries, err := m.layout.Entries()
	if err != nil {
		t.Fatal(err)
	}
	revoked := m.certs[legacyRevoked]
	delete(entries, "certs/"+revoked.key)
	entries["kfId/0badc0de"] = []byte("4444")
	entries["certs/0ddba11"] = []byte("not a certificate")
	storage := &logical.InmemStorage{}
	for k, v := range entries {
		if err := storage.Put(context.Background(), &logical.StorageEntry{Key: k, Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarnessOn(t, server, storage)

	d := h.read("cert/" + revoked.key).data(t)
	if !parseCertPEM(t, str(t, d, "certificate")).Equal(revoked.cert) || num(t, d, "revocation_time") != revoked.revokedAt.Unix() {
		t.Errorf("the certificate known only from its revocation entry: %v", d)
	}
	if n := len(strList(t, h.list("certs/").data(t), "keys")); n != len(m.certs) {
		t.Errorf("%d certificates listed, want %d (the unreadable entry set aside)", n, len(m.certs))
	}
	got := h.storedEntries()
	record := string(got["certs/"+certutil.GetHexFormatted(revoked.cert.SerialNumber.Bytes(), "-")])
	if !strings.Contains(record, `"certificate_id":"`+revoked.id+`"`) {
		t.Errorf("the record made from the revocation entry lacks Command id %s: %s", revoked.id, record)
	}
	for _, key := range []string{"kfId/0badc0de", "certs/0ddba11"} {
		if _, ok := got[key]; ok {
			t.Errorf("%s left in place", key)
		}
		if string(got["legacy-backup/"+key]) != string(entries[key]) {
			t.Errorf("%s not kept in legacy-backup/", key)
		}
		if !strings.Contains(string(got["legacy-migration/log"]), key) {
			t.Errorf("the migration log does not name %s: %s", key, got["legacy-migration/log"])
		}
	}
}
