package compattest

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

func tidyStep(name string, data map[string]interface{}) step {
	return step{name: name, op: logical.UpdateOperation, path: "tidy", data: data}
}

func autoTidyStep(name string, data map[string]interface{}) step {
	return step{name: name, op: logical.UpdateOperation, path: "config/auto-tidy", data: data}
}

// tidyScenarios start at most one tidy each, as their last tidy step: a tidy runs in the
// background on both engines, so a second start or a tidy-status read would race it. The
// status is compared by TestTidyStatusMatchesNative, which waits for each tidy to end.
func tidyScenarios() []scenario {
	return []scenario{
		{name: "tidy: refusals, then a tidy", steps: []step{
			{name: "cancel with no tidy running", op: logical.UpdateOperation, path: "tidy-cancel"},
			tidyStep("zero safety_buffer", map[string]interface{}{"tidy_cert_store": true, "safety_buffer": 0}).answers(400),
			tidyStep("zero issuer_safety_buffer", map[string]interface{}{"tidy_cert_store": true, "issuer_safety_buffer": "0s"}).answers(400),
			tidyStep("unparsable pause_duration", map[string]interface{}{"tidy_cert_store": true, "pause_duration": "soon"}).answers(400),
			tidyStep("negative pause_duration", map[string]interface{}{"tidy_cert_store": true, "pause_duration": "-1s"}).answers(400),
			tidyStep("tidy_cert_metadata outside Enterprise", map[string]interface{}{"tidy_cert_metadata": true}).answers(400),
			writeRole("web", webRole),
			issueStep("issue", "web", map[string]interface{}{"common_name": "tidy.example.com"}),
			tidyStep("tidy cert store and revoked", map[string]interface{}{
				"tidy_cert_store": true, "tidy_revoked_certs": true, "safety_buffer": "1h", "pause_duration": "0s",
			}).answers(202),
			readStep("the valid certificate stays", "cert/{serial}"),
		}},
		{name: "tidy: nothing enabled", steps: []step{
			tidyStep("tidy with no operation", map[string]interface{}{}).answers(202),
		}},
		{name: "tidy: deprecated tidy_revocation_list", steps: []step{
			tidyStep("tidy_revocation_list", map[string]interface{}{"tidy_revocation_list": true}).answers(202),
		}},
		{name: "tidy: config/auto-tidy", steps: []step{
			readStep("read auto-tidy defaults", "config/auto-tidy"),
			autoTidyStep("write auto-tidy disabled", map[string]interface{}{
				"tidy_cert_store": true, "interval_duration": "24h", "safety_buffer": "96h", "pause_duration": "1s",
			}),
			readStep("read auto-tidy disabled", "config/auto-tidy"),
			autoTidyStep("enable with no operation", map[string]interface{}{"enabled": true, "tidy_cert_store": false}).answers(400),
			autoTidyStep("backoff min above max", map[string]interface{}{"min_startup_backoff_duration": "1h", "max_startup_backoff_duration": "10m"}).answers(400),
			autoTidyStep("zero safety_buffer", map[string]interface{}{"safety_buffer": "0s"}).answers(400),
			autoTidyStep("negative pause_duration", map[string]interface{}{"pause_duration": "-1s"}).answers(400),
			autoTidyStep("metadata outside Enterprise", map[string]interface{}{"tidy_cert_metadata": true}).answers(400),
			autoTidyStep("publish counts without keeping them", map[string]interface{}{"publish_stored_certificate_count_metrics": true}).answers(400),
			autoTidyStep("write auto-tidy enabled", map[string]interface{}{"enabled": true, "tidy_revoked_certs": true}),
			readStep("read auto-tidy enabled", "config/auto-tidy"),
		}},
		{name: "tidy: operations on what the CA keeps", steps: []step{
			tidyStep("tidy issuers, bundle, queue, ACME", map[string]interface{}{
				"tidy_cert_store":                       true,
				"tidy_revoked_cert_issuer_associations": true,
				"tidy_expired_issuers":                  true,
				"tidy_move_legacy_ca_bundle":            true,
				"tidy_revocation_queue":                 true,
				"tidy_cross_cluster_revoked_certs":      true,
				"tidy_acme":                             true,
				"tidy_cmpv2_nonce_store":                true,
			}).answers(202),
		}},
	}
}

// jsonShape is a value's JSON type, or for objects the shape of each key.
func jsonShape(v interface{}) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []interface{}:
		return "array"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// tidyStatusOf reads tidy-status on e. With after set, it waits (bounded) for a tidy that
// started after that status to end: native records the start only once its background tidy
// runs, so the status read right after a tidy request may still show the previous run.
func tidyStatusOf(t *testing.T, e *engine, after map[string]interface{}) map[string]interface{} {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		obs := e.observe(t, logical.ReadOperation, "tidy-status", nil)
		if obs.Status != 200 {
			t.Fatalf("%s: tidy-status answered %d: %s", e.name, obs.Status, obs.Error)
		}
		state := obs.Data["state"]
		if after == nil || (state != "Running" && state != "Cancelling" && state != "Inactive" &&
			obs.Data["time_started"] != after["time_started"]) {
			return obs.Data
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: tidy still %v", e.name, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tidyStatusValuesCompared are the keys whose values (not only types) must match: parameters,
// state and counts. Times and the backend id differ between any two mounts.
var tidyStatusTimeOrID = map[string]bool{
	"time_started": true, "time_finished": true, "last_auto_tidy_finished": true, "internal_backend_uuid": true,
}

// compareTidyStatus fails on any key or JSON type that differs, and on any differing value
// outside times and ids.
func compareTidyStatus(t *testing.T, when string, native, plugin map[string]interface{}) {
	t.Helper()
	keys := map[string]bool{}
	for k := range native {
		keys[k] = true
	}
	for k := range plugin {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		n, nok := native[k]
		p, pok := plugin[k]
		switch {
		case nok != pok:
			t.Errorf("%s: key %s present on native %v, on plugin %v", when, k, nok, pok)
		case jsonShape(n) != jsonShape(p):
			t.Errorf("%s: %s is %s on native, %s on plugin", when, k, jsonShape(n), jsonShape(p))
		case !tidyStatusTimeOrID[k] && fmt.Sprint(n) != fmt.Sprint(p):
			t.Errorf("%s: %s = %v on native, %v on plugin", when, k, n, p)
		}
	}
}

// TestTidyStatusMatchesNative compares tidy-status between native PKI and the plugin before any
// tidy and after tidies of each kind have finished: the same keys, JSON types, parameters,
// state and counts (both engines hold one valid certificate, which no tidy may remove).
func TestTidyStatusMatchesNative(t *testing.T) {
	sim := commandtest.NewServer()
	t.Cleanup(sim.Close)
	native := newNativeEngine(t, "native", simulatorCA(t, sim, commandtest.DefaultCALogicalName))
	plugin := newPluginEngine(t, sim, commandtest.DefaultCALogicalName)
	for _, e := range []*engine{native, plugin} {
		e.mustSucceed(t, logical.UpdateOperation, "roles/web", webRole)
		e.mustSucceed(t, logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": "status.example.com"})
	}
	last := map[*engine]map[string]interface{}{native: tidyStatusOf(t, native, nil), plugin: tidyStatusOf(t, plugin, nil)}
	compareTidyStatus(t, "before any tidy", last[native], last[plugin])

	runs := []struct {
		name string
		data map[string]interface{}
	}{
		{"cert store and revoked", map[string]interface{}{"tidy_cert_store": true, "tidy_revoked_certs": true, "safety_buffer": "1s"}},
		{"nothing enabled", map[string]interface{}{}},
		{"what the CA keeps", map[string]interface{}{"tidy_expired_issuers": true, "tidy_acme": true, "pause_duration": "10ms", "tidy_cert_store": true}},
	}
	for _, run := range runs {
		for _, e := range []*engine{native, plugin} {
			if obs := e.observe(t, logical.UpdateOperation, "tidy", run.data); obs.Status != 202 {
				t.Fatalf("%s: tidy %s answered %d: %s", e.name, run.name, obs.Status, obs.Error)
			}
		}
		for _, e := range []*engine{native, plugin} {
			last[e] = tidyStatusOf(t, e, last[e])
		}
		compareTidyStatus(t, "after "+run.name, last[native], last[plugin])
	}

	for _, e := range []*engine{native, plugin} {
		obs := e.observe(t, logical.UpdateOperation, "tidy-cancel", nil)
		if obs.Status != 200 || len(obs.Warnings) != 1 || obs.Warnings[0] != "Tidy operation cannot be cancelled as none is currently running." {
			t.Errorf("%s: tidy-cancel with nothing running = %d %q", e.name, obs.Status, obs.Warnings)
		}
	}
}
