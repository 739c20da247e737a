package pkicompat_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// TestPendingPaths: LIST pending/, read pending/<id> (the CA's state, who asked, the certificate
// once issued, never a key), delete (forget) and delete deny=true (deny in the CA too).
func TestPendingPaths(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	for _, id := range []string{"101", "102", "103"} {
		h.ca.HoldSigns(id)
		mustFail(t, h.writeAs("ent-"+id, "issue/web", map[string]interface{}{"common_name": "p" + id + ".example.com"}), http.StatusConflict, id)
	}

	listed := h.list("pending/")
	mustOK(t, listed)
	keys, _ := listed.resp.Data["keys"].([]string)
	if strings.Join(keys, ",") != "101,102,103" {
		t.Fatalf("keys %v", listed.resp.Data)
	}
	info := listed.resp.Data["key_info"].(map[string]interface{})["102"].(map[string]interface{})
	if info["role"] != "web" || info["common_name"] != "p102.example.com" || info["entity_id"] != "ent-102" {
		t.Fatalf("key_info %v", info)
	}

	d := h.read("pending/101").data(t)
	if d["state"] != "pending" || d["role"] != "web" || d["entity_id"] != "ent-101" || d["display_name"] != "token-ent-101" ||
		d["private_key_kept"] != true || d["common_name"] != "p101.example.com" || d["mode"] != "issue" {
		t.Fatalf("pending read %v", d)
	}
	if _, has := d["certificate"]; has {
		t.Fatal("a pending request has no certificate")
	}
	if err := h.ca.ApproveHeld("101"); err != nil {
		t.Fatal(err)
	}
	d = h.read("pending/101").data(t)
	if d["state"] != "issued" || !strings.HasPrefix(str(t, d, "certificate"), "-----BEGIN CERTIFICATE-----") || str(t, d, "serial_number") == "" {
		t.Fatalf("approved read %v", d)
	}
	raw, _ := json.Marshal(d)
	if strings.Contains(string(raw), "PRIVATE KEY") {
		t.Fatal("a pending read answered the kept private key")
	}

	// Forget only: the CA still holds it.
	mustOK(t, h.do(logical.DeleteOperation, "pending/102", nil))
	if st, _ := h.ca.HeldState("102"); st != cadriver.RequestPending {
		t.Fatalf("a plain delete changed the CA's request: %v", st)
	}
	if r := h.read("pending/102"); r.resp != nil {
		t.Fatalf("pending/102 still readable: %v", r.resp.Data)
	}
	// Deny in the CA too.
	mustOK(t, h.do(logical.DeleteOperation, "pending/103", map[string]interface{}{"deny": true, "comment": "duplicate"}))
	if st, _ := h.ca.HeldState("103"); st != cadriver.RequestDenied {
		t.Fatalf("deny=true did not deny in the CA: %v", st)
	}
	mustFail(t, h.do(logical.DeleteOperation, "pending/103", map[string]interface{}{"deny": true}), http.StatusNotFound, "no pending request 103")
	for _, key := range h.pendingKeys() {
		if strings.Contains(key, "102") || strings.Contains(key, "103") {
			t.Fatalf("left behind after delete: %s", key)
		}
	}
}

// TestPendingExpiresWithTidy: a held request past its role's pending_ttl is removed, with its
// key, by tidy_pending_requests (and by tidy_cert_store, which auto-tidy sets); a younger one
// is kept.
func TestPendingExpiresWithTidy(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"pending_ttl": "1h"})
	if got := h.read("roles/web").data(t)["pending_ttl"]; got != json.Number("3600") {
		t.Fatalf("pending_ttl read back as %v", got)
	}
	h.ca.HoldSigns("201")
	mustFail(t, h.writeAs("e", "issue/web", map[string]interface{}{"common_name": "old.example.com"}), http.StatusConflict, "201")
	h.ca.HoldSigns("202")
	mustFail(t, h.writeAs("e", "issue/web", map[string]interface{}{"common_name": "new.example.com"}), http.StatusConflict, "202")
	d := h.read("pending/201").data(t)
	requested, err1 := time.Parse(time.RFC3339, str(t, d, "requested_at"))
	expires, err2 := time.Parse(time.RFC3339, str(t, d, "expires_at"))
	if err1 != nil || err2 != nil || expires.Sub(requested).Round(time.Minute) != time.Hour {
		t.Fatalf("expires_at %v is not pending_ttl after requested_at %v", d["expires_at"], d["requested_at"])
	}
	h.ageStoredPending(t, "201", 2*time.Hour)

	mustOK(t, h.write("tidy", map[string]interface{}{"tidy_pending_requests": true}))
	h.waitTidyFinished(t)
	var left []string
	for _, key := range h.pendingKeys() {
		if strings.Contains(key, "201") {
			left = append(left, key)
		}
	}
	if len(left) != 0 {
		t.Fatalf("expired request left: %v", left)
	}
	if h.read("pending/202").resp == nil {
		t.Fatal("tidy removed a request younger than pending_ttl")
	}

	h.ageStoredPending(t, "202", 2*time.Hour)
	mustOK(t, h.write("tidy", map[string]interface{}{"tidy_cert_store": true}))
	h.waitTidyFinished(t)
	if keys := h.pendingKeys(); len(keys) != 0 {
		t.Fatalf("tidy_cert_store left expired pending requests: %v", keys)
	}
}

// ageStoredPending moves a stored pending record's times back by age.
func (h *harness) ageStoredPending(t *testing.T, id string, age time.Duration) {
	t.Helper()
	key := "pending/requests/" + id
	entry, err := h.storage.Get(h.ctx, key)
	if err != nil || entry == nil {
		t.Fatalf("no %s: %v", key, err)
	}
	var rec map[string]interface{}
	if err := json.Unmarshal(entry.Value, &rec); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"requested_at", "expires_at"} {
		at, err := time.Parse(time.RFC3339Nano, rec[field].(string))
		if err != nil {
			t.Fatal(err)
		}
		rec[field] = at.Add(-age).Format(time.RFC3339Nano)
	}
	value, _ := json.Marshal(rec)
	if err := h.storage.Put(h.ctx, &logical.StorageEntry{Key: key, Value: value}); err != nil {
		t.Fatal(err)
	}
}

// waitTidyFinished waits until tidy-status reports the tidy finished.
func (h *harness) waitTidyFinished(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		d := h.read("tidy-status").data(t)
		switch d["state"] {
		case "Finished":
			return
		case "Error", "Cancelled":
			t.Fatalf("tidy ended %v: %v", d["state"], d["error"])
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("tidy did not finish")
}
