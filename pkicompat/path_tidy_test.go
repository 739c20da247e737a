package pkicompat

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// countingProvider counts driver constructions: tidy must never reach the CA.
type countingProvider struct{ calls atomic.Int32 }

func (p *countingProvider) DisplayName() string         { return "the test CA" }
func (p *countingProvider) ConfigFields() []ConfigField { return nil }
func (p *countingProvider) NewDriver(json.RawMessage) (Driver, []string, error) {
	p.calls.Add(1)
	return nil, nil, &UnavailableError{Message: "tidy must not build a driver"}
}

type tidyHarness struct {
	t        *testing.T
	backend  *backend
	storage  *logical.InmemStorage
	provider *countingProvider
}

func newTidyHarness(t *testing.T) *tidyHarness {
	t.Helper()
	p := &countingProvider{}
	b := newBackend(p)
	storage := &logical.InmemStorage{}
	if err := b.Setup(context.Background(), &logical.BackendConfig{
		Logger: hclog.NewNullLogger(), System: logical.TestSystemView(), StorageView: storage,
	}); err != nil {
		t.Fatal(err)
	}
	h := &tidyHarness{t: t, backend: b, storage: storage, provider: p}
	t.Cleanup(func() {
		// Leave no tidy running behind the test, and prove none reached for the CA.
		h.request(logical.UpdateOperation, "tidy-cancel", nil)
		h.waitIdle()
		if n := p.calls.Load(); n != 0 {
			t.Errorf("tidy built a CA driver %d times", n)
		}
	})
	return h
}

func (h *tidyHarness) request(op logical.Operation, path string, data map[string]interface{}) *logical.Response {
	h.t.Helper()
	resp, err := h.backend.HandleRequest(context.Background(), &logical.Request{
		Operation: op, Path: path, Data: data, Storage: h.storage,
	})
	if err != nil {
		h.t.Fatalf("%s %s: %v", op, path, err)
	}
	return resp
}

// status reads tidy-status after a JSON round trip, as a client sees it.
func (h *tidyHarness) status() map[string]interface{} {
	h.t.Helper()
	resp := h.request(logical.ReadOperation, "tidy-status", nil)
	raw, err := json.Marshal(resp.Data)
	if err != nil {
		h.t.Fatal(err)
	}
	var out map[string]interface{}
	if err := json.Unmarshal(raw, &out); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// waitIdle waits until no tidy runs.
func (h *tidyHarness) waitIdle() map[string]interface{} {
	h.t.Helper()
	return h.waitFor(func(st map[string]interface{}) bool {
		return st["state"] != "Running" && st["state"] != "Cancelling"
	})
}

// waitFor polls tidy-status until done accepts it; the bound only guards against a hang.
func (h *tidyHarness) waitFor(done func(map[string]interface{}) bool) map[string]interface{} {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := h.status()
		if done(st) {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("tidy status never reached the expected state: %v", st)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startTidy sends a tidy and returns the warnings of the 202 body native would send.
func (h *tidyHarness) startTidy(data map[string]interface{}) []string {
	h.t.Helper()
	return h.startTidyBody(h.request(logical.UpdateOperation, "tidy", data))
}

// storeCert keeps a record of a certificate valid until notAfter, revoked when asked.
func (h *tidyHarness) storeCert(notAfter time.Time, revoked bool) string {
	h.t.Helper()
	tmpl := testcerts.LeafTemplate(h.t, "tidy.example.com")
	tmpl.SerialNumber.SetBit(tmpl.SerialNumber, 119, 1) // a full-length serial: at least 8 bytes
	tmpl.NotBefore, tmpl.NotAfter = notAfter.Add(-time.Hour), notAfter
	cert := testcerts.SelfSigned(h.t, tmpl, testcerts.ECKey(h.t))
	rec := &certRecord{SerialNumber: serialFromCert(cert), CertificateDER: cert.Raw, CA: "test", IssuedAt: tmpl.NotBefore}
	if revoked {
		rec.Revocation = &revocationInfo{Time: notAfter.Add(-time.Minute)}
	}
	if err := putCertRecord(context.Background(), h.storage, rec); err != nil {
		h.t.Fatal(err)
	}
	return rec.SerialNumber
}

// stored lists the serials under prefix.
func (h *tidyHarness) stored(prefix string) []string {
	h.t.Helper()
	serials, err := listSerials(context.Background(), h.storage, prefix)
	if err != nil {
		h.t.Fatal(err)
	}
	sort.Strings(serials)
	return serials
}

func sortedCopy(in ...string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

func TestTidyDeletesOnlyWhatExpiredPastTheBuffer(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name            string
		request         map[string]interface{}
		keptCerts       func(s map[string]string) []string
		keptRevoked     func(s map[string]string) []string
		certsDeleted    float64
		revokedDeleted  float64
		wantStateFields map[string]interface{}
	}{
		{
			name:    "cert store, default 72h buffer",
			request: map[string]interface{}{"tidy_cert_store": true},
			keptCerts: func(s map[string]string) []string {
				return []string{s["recent"], s["valid"], s["revokedValid"]}
			},
			// The orphan marker is the revoked pass's to remove.
			keptRevoked:    func(s map[string]string) []string { return []string{s["revokedValid"], s["orphan"]} },
			certsDeleted:   2, // old, revokedOld
			revokedDeleted: 1, // revokedOld's marker goes with its record
			wantStateFields: map[string]interface{}{
				"tidy_cert_store": true, "tidy_revoked_certs": false, "safety_buffer": float64(259200),
			},
		},
		{
			name:    "revoked only",
			request: map[string]interface{}{"tidy_revoked_certs": true},
			keptCerts: func(s map[string]string) []string {
				return []string{s["old"], s["recent"], s["valid"], s["revokedValid"]}
			},
			keptRevoked:     func(s map[string]string) []string { return []string{s["revokedValid"]} },
			certsDeleted:    0,
			revokedDeleted:  2, // revokedOld and the marker whose record is gone
			wantStateFields: map[string]interface{}{"tidy_cert_store": false, "tidy_revoked_certs": true},
		},
		{
			name:    "deprecated tidy_revocation_list is tidy_revoked_certs",
			request: map[string]interface{}{"tidy_revocation_list": true},
			keptCerts: func(s map[string]string) []string {
				return []string{s["old"], s["recent"], s["valid"], s["revokedValid"]}
			},
			keptRevoked:     func(s map[string]string) []string { return []string{s["revokedValid"]} },
			revokedDeleted:  2,
			wantStateFields: map[string]interface{}{"tidy_revoked_certs": true},
		},
		{
			name:    "both, one second buffer",
			request: map[string]interface{}{"tidy_cert_store": true, "tidy_revoked_certs": "true", "safety_buffer": "1s"},
			keptCerts: func(s map[string]string) []string {
				return []string{s["valid"], s["revokedValid"]}
			},
			keptRevoked:     func(s map[string]string) []string { return []string{s["revokedValid"]} },
			certsDeleted:    3, // old, recent, revokedOld
			revokedDeleted:  2, // revokedOld's marker, the orphan marker
			wantStateFields: map[string]interface{}{"safety_buffer": float64(1), "pause_duration": "0s"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTidyHarness(t)
			s := map[string]string{
				"old":          h.storeCert(now.Add(-100*time.Hour), false),
				"recent":       h.storeCert(now.Add(-time.Hour), false),
				"valid":        h.storeCert(now.Add(24*time.Hour), false),
				"revokedOld":   h.storeCert(now.Add(-100*time.Hour), true),
				"revokedValid": h.storeCert(now.Add(24*time.Hour), true),
			}
			// A marker whose record was lost: it indexes nothing.
			s["orphan"] = h.storeCert(now.Add(24*time.Hour), true)
			if err := h.storage.Delete(context.Background(), certStoragePrefix+storageSerial(s["orphan"])); err != nil {
				t.Fatal(err)
			}

			warnings := h.startTidy(tc.request)
			if len(warnings) != 1 || warnings[0] != tidyStartedWarning {
				t.Errorf("warnings = %q, want native's start warning only", warnings)
			}
			st := h.waitIdle()

			if got, want := h.stored(certStoragePrefix), sortedCopy(tc.keptCerts(s)...); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("certs/ kept %v, want %v", got, want)
			}
			if got, want := h.stored(revokedStoragePrefix), sortedCopy(tc.keptRevoked(s)...); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("revoked/ kept %v, want %v", got, want)
			}
			if st["state"] != "Finished" || st["cert_store_deleted_count"] != tc.certsDeleted || st["revoked_cert_deleted_count"] != tc.revokedDeleted {
				t.Errorf("status = %v/%v/%v, want Finished/%v/%v", st["state"], st["cert_store_deleted_count"], st["revoked_cert_deleted_count"], tc.certsDeleted, tc.revokedDeleted)
			}
			for k, v := range tc.wantStateFields {
				if st[k] != v {
					t.Errorf("status %s = %#v, want %#v", k, st[k], v)
				}
			}
		})
	}
}

func TestTidyStatusTransitions(t *testing.T) {
	h := newTidyHarness(t)
	inactive := h.status()
	if inactive["state"] != "Inactive" {
		t.Fatalf("state before any tidy = %v", inactive["state"])
	}
	for _, k := range tidyStatusKeys {
		v, ok := inactive[k]
		if !ok || v != nil {
			t.Errorf("inactive %s = %#v (present %v), native answers null", k, v, ok)
		}
	}
	if _, ok := inactive["revocation_queue_safety_buffer"]; ok {
		t.Error("native adds revocation_queue_safety_buffer only once a tidy ran")
	}
	if s, _ := inactive["last_auto_tidy_finished"].(string); s == "" {
		t.Error("last_auto_tidy_finished must be a time")
	}

	h.storeCert(time.Now().Add(-100*time.Hour), false)
	h.startTidy(map[string]interface{}{"tidy_cert_store": true, "pause_duration": "1h"})
	running := h.waitFor(func(st map[string]interface{}) bool { return st["message"] != "" })
	checks := map[string]interface{}{
		"state": "Running", "pause_duration": "1h0m0s", "time_finished": nil, "error": nil,
		"cert_store_deleted_count": float64(0), "tidy_acme": false, "revocation_queue_safety_buffer": float64(172800),
		"message": "Tidying certificate store: checking entry 0 of 1",
	}
	for k, v := range checks {
		if running[k] != v {
			t.Errorf("running %s = %#v, want %#v", k, running[k], v)
		}
	}
	if s, _ := running["time_started"].(string); s == "" {
		t.Error("time_started missing while running")
	}

	h.request(logical.UpdateOperation, "tidy-cancel", nil)
	done := h.waitIdle()
	if done["state"] != "Cancelled" || done["time_finished"] == nil {
		t.Errorf("after cancel: state %v, time_finished %v", done["state"], done["time_finished"])
	}

	h.startTidy(map[string]interface{}{"tidy_cert_store": true})
	done = h.waitIdle()
	if done["state"] != "Finished" || done["message"] != nil || done["cert_store_deleted_count"] != float64(1) || done["time_finished"] == nil {
		t.Errorf("finished status = %v", done)
	}
}

func TestTidyCancel(t *testing.T) {
	h := newTidyHarness(t)
	resp := h.request(logical.UpdateOperation, "tidy-cancel", nil)
	if resp == nil || resp.Data != nil || len(resp.Warnings) != 1 || resp.Warnings[0] != tidyNoCancelWarning {
		t.Fatalf("cancel with nothing running = %#v, want native's warning alone", resp)
	}

	old := h.storeCert(time.Now().Add(-100*time.Hour), false)
	h.storeCert(time.Now().Add(-100*time.Hour), false)
	// A pause far longer than any test: only cancel can end this tidy.
	h.startTidy(map[string]interface{}{"tidy_cert_store": true, "pause_duration": "24h"})
	resp = h.request(logical.UpdateOperation, "tidy-cancel", nil)
	// The tidy may stop between the cancel and the status read, as native's may.
	if resp == nil || (resp.Data["state"] != "Cancelling" && resp.Data["state"] != "Cancelled") {
		t.Fatalf("cancel while running = %#v, want the status in state Cancelling", resp)
	}
	done := h.waitIdle()
	if done["state"] != "Cancelled" || done["cert_store_deleted_count"] != float64(0) {
		t.Errorf("after cancel: %v", done)
	}
	if kept := h.stored(certStoragePrefix); len(kept) != 2 || !strings.Contains(strings.Join(kept, " "), old) {
		t.Errorf("a cancelled tidy deleted records: %v", kept)
	}
}

func TestTidyRefusesASecondConcurrentTidy(t *testing.T) {
	h := newTidyHarness(t)
	h.storeCert(time.Now().Add(-100*time.Hour), false)
	h.startTidy(map[string]interface{}{"tidy_cert_store": true, "pause_duration": "24h"})
	resp := h.request(logical.UpdateOperation, "tidy", map[string]interface{}{"tidy_revoked_certs": true})
	if resp == nil || resp.Data != nil || len(resp.Warnings) != 1 || resp.Warnings[0] != tidyRunningWarning {
		t.Fatalf("second tidy = %#v, want native's 'already in progress' warning alone", resp)
	}
	if st := h.status(); st["tidy_revoked_certs"] != false || st["state"] != "Running" {
		t.Errorf("the refused tidy changed the status: %v", st)
	}
}

func TestTidyRequestAnswers(t *testing.T) {
	cases := []struct {
		name         string
		data         map[string]interface{}
		wantError    string   // 400 text; empty when accepted
		wantWarnings []string // prefixes, in order, inside the 202 body
		wantOuter    string   // a warning Vault adds outside the raw body
	}{
		{name: "nothing enabled", data: map[string]interface{}{}, wantWarnings: []string{tidyNoneWarning}},
		{
			name:         "flags about what the CA keeps",
			data:         map[string]interface{}{"tidy_expired_issuers": true, "tidy_acme": true, "tidy_cert_store": true},
			wantWarnings: []string{tidyStartedWarning, tidyNothingHeldIntro},
		},
		{
			name:         "only flags about what the CA keeps",
			data:         map[string]interface{}{"tidy_move_legacy_ca_bundle": true},
			wantWarnings: []string{tidyStartedWarning, tidyNothingHeldIntro},
		},
		{name: "unknown parameter", data: map[string]interface{}{"tidy_cert_store": true, "tidy_everything": true}, wantWarnings: []string{tidyStartedWarning}, wantOuter: "Endpoint ignored these unrecognized parameters: [tidy_everything]"},
		{name: "zero safety buffer", data: map[string]interface{}{"safety_buffer": 0}, wantError: "safety_buffer must be greater than zero"},
		{name: "zero issuer buffer", data: map[string]interface{}{"issuer_safety_buffer": "0s"}, wantError: "issuer_safety_buffer must be greater than zero"},
		{name: "bad pause", data: map[string]interface{}{"pause_duration": "soon"}, wantError: "Error parsing pause_duration"},
		{name: "negative pause", data: map[string]interface{}{"pause_duration": "-1s"}, wantError: "received invalid, negative pause_duration"},
		{name: "metadata", data: map[string]interface{}{"tidy_cert_metadata": true}, wantError: tidyMetadataRefusal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTidyHarness(t)
			if tc.wantError != "" {
				resp := h.request(logical.UpdateOperation, "tidy", tc.data)
				if resp == nil || !resp.IsError() || !strings.Contains(resp.Error().Error(), tc.wantError) {
					t.Fatalf("got %#v, want a 400 containing %q", resp, tc.wantError)
				}
				if st := h.status(); st["state"] != "Inactive" {
					t.Errorf("a refused tidy started: %v", st["state"])
				}
				return
			}
			resp := h.request(logical.UpdateOperation, "tidy", tc.data)
			warnings := h.startTidyBody(resp)
			if len(warnings) != len(tc.wantWarnings) {
				t.Fatalf("warnings %q, want %d", warnings, len(tc.wantWarnings))
			}
			for i, w := range tc.wantWarnings {
				if !strings.HasPrefix(warnings[i], w) {
					t.Errorf("warning %d = %q, want it to start with %q", i, warnings[i], w)
				}
			}
			for flag, on := range tc.data {
				if on == true && strings.HasPrefix(flag, "tidy_") && flag != "tidy_cert_store" && flag != "tidy_everything" &&
					!strings.Contains(strings.Join(warnings, " "), flag) {
					t.Errorf("no warning names %s", flag)
				}
			}
			if tc.wantOuter != "" && !strings.Contains(strings.Join(resp.Warnings, " "), tc.wantOuter) {
				t.Errorf("outer warnings %q, want %q", resp.Warnings, tc.wantOuter)
			}
			if st := h.waitIdle(); st["state"] != "Finished" {
				t.Errorf("state = %v", st["state"])
			}
		})
	}
}

// startTidyBody checks a tidy answer is a 202 and returns the warnings in its body.
func (h *tidyHarness) startTidyBody(resp *logical.Response) []string {
	h.t.Helper()
	if resp == nil || resp.Data[logical.HTTPStatusCode] != http.StatusAccepted {
		h.t.Fatalf("want a 202 raw answer, got %#v", resp)
	}
	var body struct {
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(resp.Data[logical.HTTPRawBody].(string)), &body); err != nil {
		h.t.Fatal(err)
	}
	return body.Warnings
}

func TestAutoTidyConfig(t *testing.T) {
	h := newTidyHarness(t)
	defaults := h.request(logical.ReadOperation, "config/auto-tidy", nil)
	want := map[string]interface{}{
		"enabled": false, "interval_duration": 43200, "min_startup_backoff_duration": 300, "max_startup_backoff_duration": 900,
		"safety_buffer": 259200, "issuer_safety_buffer": 31536000, "acme_account_safety_buffer": 2592000,
		"revocation_queue_safety_buffer": 172800, "pause_duration": "0s", "tidy_cert_store": false,
	}
	for k, v := range want {
		if defaults.Data[k] != v {
			t.Errorf("default %s = %#v, want %#v", k, defaults.Data[k], v)
		}
	}
	if len(defaults.Data) != 21 || len(defaults.Warnings) != 0 {
		t.Errorf("defaults: %d keys (native answers 21), warnings %q", len(defaults.Data), defaults.Warnings)
	}

	cases := []struct {
		name      string
		data      map[string]interface{}
		wantError string
		check     map[string]interface{} // values read back afterwards
	}{
		{name: "partial write keeps the rest", data: map[string]interface{}{"tidy_cert_store": true, "safety_buffer": "96h", "pause_duration": "1s"},
			check: map[string]interface{}{"tidy_cert_store": true, "safety_buffer": 345600, "pause_duration": "1s", "interval_duration": 43200}},
		{name: "interval only", data: map[string]interface{}{"interval_duration": "1h"},
			check: map[string]interface{}{"tidy_cert_store": true, "interval_duration": 3600}},
		{name: "enabled with no operation", data: map[string]interface{}{"enabled": true, "tidy_cert_store": false}, wantError: "Auto-tidy enabled but no tidy operations were requested"},
		{name: "min above max", data: map[string]interface{}{"min_startup_backoff_duration": "2h"}, wantError: "must be greater or equal to min_startup_backoff_duration"},
		{name: "zero buffer", data: map[string]interface{}{"acme_account_safety_buffer": 0}, wantError: "given acme_account_safety_buffer must be at least one second"},
		{name: "bad pause", data: map[string]interface{}{"pause_duration": "later"}, wantError: "unable to parse given pause_duration"},
		{name: "metadata", data: map[string]interface{}{"tidy_cert_metadata": true}, wantError: tidyMetadataRefusal},
		{name: "cmpv2", data: map[string]interface{}{"tidy_cmpv2_nonce_store": true}, wantError: "CMPv2 is only supported on Vault Enterprise"},
		{name: "publish without count", data: map[string]interface{}{"publish_stored_certificate_count_metrics": true}, wantError: "Can not publish a running storage metrics count"},
		{name: "enabled", data: map[string]interface{}{"enabled": true}, check: map[string]interface{}{"enabled": true, "tidy_cert_store": true}},
	}
	// The cases run in order on one mount: each write builds on the previous ones, as native's do.
	for _, tc := range cases {
		resp := h.request(logical.UpdateOperation, "config/auto-tidy", tc.data)
		if tc.wantError != "" {
			if resp == nil || !resp.IsError() || !strings.Contains(resp.Error().Error(), tc.wantError) {
				t.Errorf("%s: got %#v, want a 400 containing %q", tc.name, resp, tc.wantError)
			}
			continue
		}
		if resp == nil || resp.IsError() {
			t.Fatalf("%s: %#v", tc.name, resp)
		}
		read := h.request(logical.ReadOperation, "config/auto-tidy", nil)
		for k, v := range tc.check {
			if read.Data[k] != v {
				t.Errorf("%s: %s = %#v, want %#v", tc.name, k, read.Data[k], v)
			}
		}
		// Auto-tidy runs here as on native (from the periodic function), so nothing to warn about.
		for _, r := range []*logical.Response{resp, read} {
			if len(r.Warnings) != 0 {
				t.Errorf("%s: warnings %q; native gives none", tc.name, r.Warnings)
			}
		}
	}
}

func TestTidyPathsDocumentThemselves(t *testing.T) {
	h := newTidyHarness(t)
	for _, path := range []string{"tidy", "tidy-status", "tidy-cancel", "config/auto-tidy"} {
		resp := h.request(logical.HelpOperation, path, nil)
		if resp == nil || resp.Data["help"] == nil {
			t.Errorf("no help for %s", path)
		}
	}
}

func TestTidyStopsOnAnUnreadableRecord(t *testing.T) {
	h := newTidyHarness(t)
	entry, err := logical.StorageEntryJSON(certStoragePrefix+"0a-0b-0c-0d-0e-0f-10-11", &certRecord{SerialNumber: "0a:0b:0c:0d:0e:0f:10:11", CertificateDER: []byte("not DER")})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.storage.Put(context.Background(), entry); err != nil {
		t.Fatal(err)
	}
	h.startTidy(map[string]interface{}{"tidy_cert_store": true})
	st := h.waitIdle()
	if msg, _ := st["error"].(string); st["state"] != "Error" || !strings.Contains(msg, "0a:0b:0c:0d:0e:0f:10:11") || st["time_finished"] == nil {
		t.Errorf("status = %v / %v, want Error naming the serial", st["state"], st["error"])
	}
	if kept := h.stored(certStoragePrefix); len(kept) != 1 {
		t.Errorf("the unreadable record must stay for an operator to look at: %v", kept)
	}
	// The mount can tidy again once it is over.
	h.startTidy(map[string]interface{}{"tidy_revoked_certs": true})
	if st := h.waitIdle(); st["state"] != "Finished" {
		t.Errorf("second tidy: %v", st["state"])
	}
}

// TestAutoTidyRunsFromThePeriodicFunction: with auto-tidy enabled, the rollback ticks Vault sends
// start the configured tidy once its interval has passed since the last one (mount start at
// first), and not before.
func TestAutoTidyRunsFromThePeriodicFunction(t *testing.T) {
	h := newTidyHarness(t)
	expired := h.storeCert(time.Now().Add(-100*time.Hour), false)
	valid := h.storeCert(time.Now().Add(time.Hour), false)
	h.request(logical.UpdateOperation, "config/auto-tidy", map[string]interface{}{
		"enabled": true, "tidy_cert_store": true, "interval_duration": "1h",
	})

	h.request(logical.RollbackOperation, "", nil)
	if st := h.status(); st["state"] != "Inactive" {
		t.Fatalf("auto-tidy ran before its interval: state %v", st["state"])
	}

	h.backend.tidy.mu.Lock()
	h.backend.tidy.lastRun = time.Now().Add(-2 * time.Hour)
	h.backend.tidy.mu.Unlock()
	h.request(logical.RollbackOperation, "", nil)
	st := h.waitFor(func(st map[string]interface{}) bool { return st["state"] == "Finished" })
	if st["cert_store_deleted_count"] != float64(1) {
		t.Errorf("auto-tidy deleted %v records, want 1", st["cert_store_deleted_count"])
	}
	if got := h.stored(certStoragePrefix); len(got) != 1 || got[0] != valid {
		t.Fatalf("after auto-tidy certs/ holds %v, want only %s (not %s)", got, valid, expired)
	}
}
