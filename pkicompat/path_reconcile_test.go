package pkicompat_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// lostIssuances issues and signs through a CA that issues but loses its answers, checks that a
// pass within the grace period leaves everything alone, and returns a pass after it.
func lostIssuances(t *testing.T, policy string, issues, signs int) (*harness, result) {
	t.Helper()
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"key_type": "ec", "key_bits": 256})
	mustOK(t, h.write("config/reconcile", map[string]interface{}{"grace_period": "1s", "orphan_policy": policy}))
	h.ca.LoseAnswers(issues + signs)
	for i := 0; i < issues; i++ {
		mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "lost.example.com"}), http.StatusGatewayTimeout, "did not answer in time")
	}
	for i := 0; i < signs; i++ {
		csr, _ := newCSR(t, "lost.example.com", "lost.example.com")
		mustFail(t, h.write("sign/web", map[string]interface{}{"common_name": "lost.example.com", "csr": csr}), http.StatusGatewayTimeout, "did not answer in time")
	}
	if len(h.certKeys()) != 0 || h.ca.Issued() != issues+signs {
		t.Fatalf("setup: %d records, %d issued by the CA", len(h.certKeys()), h.ca.Issued())
	}
	// Within the grace period nothing is touched.
	early := h.write("reconcile", nil)
	if d := early.data(t); d["intents_pending"] != json.Number(strconv.Itoa(issues+signs)) || len(h.ca.RevokeRequests()) != 0 {
		t.Fatalf("pass within the grace period: %v", d)
	}
	time.Sleep(1100 * time.Millisecond)
	return h, h.write("reconcile", nil)
}

func TestReconcileDefaultPolicies(t *testing.T) {
	h, pass := lostIssuances(t, "", 2, 3)
	d := pass.data(t)
	if d["revoked"] != json.Number("2") || d["recorded"] != json.Number("3") || d["intents_pending"] != json.Number("0") {
		t.Fatalf("pass: %v", d)
	}
	if got := len(h.certKeys()); got != 3 {
		t.Fatalf("%d records after recording the sign/ certificates, want 3", got)
	}
	for _, r := range h.ca.RevokeRequests() {
		if r.Reason != 4 || r.CertificateID == "" {
			t.Fatalf("revocation %+v: want reason superseded (4) by certificate id", r)
		}
	}
}

func TestReconcileReportPolicy(t *testing.T) {
	h, pass := lostIssuances(t, "report", 1, 1)
	if d := pass.data(t); d["reported"] != json.Number("2") || d["revoked"] != json.Number("0") || d["recorded"] != json.Number("0") {
		t.Fatalf("pass: %v", d)
	}
	if len(h.certKeys()) != 0 || len(h.ca.RevokeRequests()) != 0 {
		t.Fatal("report changed something")
	}
}

// TestReconcileKeepsIntentsOnErrors: a CA that cannot be searched or refuses the revocation
// leaves the intent for the next pass, and the status says so.
func TestReconcileKeepsIntentsOnErrors(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	mustOK(t, h.write("config/reconcile", map[string]interface{}{"grace_period": "1s"}))
	h.ca.LoseAnswers(1)
	mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "lost.example.com"}), http.StatusGatewayTimeout, "")
	time.Sleep(1100 * time.Millisecond)

	h.ca.FailFind(errors.New("search unavailable"))
	if d := h.write("reconcile", nil).data(t); d["errors"] != json.Number("1") || d["intents_pending"] != json.Number("1") {
		t.Fatalf("failed search: %v", d)
	}
	h.ca.FailFind(nil)
	h.ca.FailRevoke(errors.New("revocation refused"))
	if d := h.write("reconcile", nil).data(t); d["errors"] == json.Number("0") || d["intents_pending"] != json.Number("1") {
		t.Fatalf("failed revocation: %v", d)
	}
	h.ca.FailRevoke(nil)
	if d := h.write("reconcile", nil).data(t); d["revoked"] != json.Number("1") || d["intents_pending"] != json.Number("0") {
		t.Fatalf("third pass: %v", d)
	}
	st := h.read("reconcile-status").data(t)
	if st["revoked"] != json.Number("1") || st["errors"] == json.Number("0") || st["intents_pending"] != json.Number("0") {
		t.Fatalf("reconcile-status: %v", st)
	}
}

// TestIssuanceLeavesNoIntent: delivered issuances and CA refusals settle their intent at once.
func TestIssuanceLeavesNoIntent(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	mustOK(t, h.write("issue/web", map[string]interface{}{"common_name": "ok.example.com"}))
	h.ca.HoldSigns("42")
	mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "held.example.com"}), http.StatusConflict, "42")
	keys, err := h.storage.List(h.ctx, "reconcile/intents/")
	if err != nil || len(keys) != 0 {
		t.Fatalf("intents left: %v %v", keys, err)
	}
}

// TestIntentRecordsTheRequest: the write-ahead intent of an issuance whose answer was lost holds
// what reconciliation searches by (CA, time, the key's hash) and what an operator needs to know
// (role, template, requester, issue or sign), and no key material.
func TestIntentRecordsTheRequest(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"template": "WebServer", "key_type": "ec", "key_bits": 256})
	h.ca.LoseAnswers(1)
	csr, _ := newCSR(t, "lost.example.com", "lost.example.com")
	before := time.Now().Add(-time.Second)
	mustFail(t, h.write("sign/web", map[string]interface{}{"common_name": "lost.example.com", "csr": csr}), http.StatusGatewayTimeout, "")

	keys, err := h.storage.List(h.ctx, "reconcile/intents/")
	if err != nil || len(keys) != 1 {
		t.Fatalf("intents: %v %v", keys, err)
	}
	entry, err := h.storage.Get(h.ctx, "reconcile/intents/"+keys[0])
	if err != nil || entry == nil {
		t.Fatal(err)
	}
	var intent map[string]interface{}
	if err := json.Unmarshal(entry.Value, &intent); err != nil {
		t.Fatal(err)
	}
	requested, _ := time.Parse(time.RFC3339Nano, intent["requested_at"].(string))
	if intent["mode"] != "sign" || intent["role"] != "web" || intent["template"] != "WebServer" ||
		intent["common_name"] != "lost.example.com" || len(intent["public_key_sha256"].(string)) != 64 || requested.Before(before) {
		t.Fatalf("intent %v", intent)
	}
	for _, secret := range []string{"private_key", "csr", "certificate"} {
		if _, ok := intent[secret]; ok {
			t.Fatalf("intent holds %s", secret)
		}
	}
}

// TestReconcilePathsDocumentThemselves: vault path-help works for the reconciliation paths.
func TestReconcilePathsDocumentThemselves(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"config/reconcile", "reconcile", "reconcile-status"} {
		r := h.do("help", path, nil)
		if r.err != nil || r.resp == nil || r.resp.Data["help"] == nil {
			t.Fatalf("help for %q: %v", path, r.errorText())
		}
	}
}
