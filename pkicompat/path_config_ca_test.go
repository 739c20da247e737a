package pkicompat_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// The answers below are native PKI's (Vault v1.21.0, builtin/logical/pki run in-process), after a
// JSON round trip: compat_test's "config urls" and "config crl" scenarios check the same
// requests against the native engine itself.

var (
	defaultURLsAnswer = map[string]interface{}{
		"issuing_certificates":          []interface{}{},
		"crl_distribution_points":       []interface{}{},
		"delta_crl_distribution_points": []interface{}{},
		"ocsp_servers":                  []interface{}{},
		"enable_templating":             false,
	}
	defaultCRLAnswer = map[string]interface{}{
		"expiry":                        "72h",
		"disable":                       false,
		"ocsp_disable":                  false,
		"ocsp_expiry":                   "12h",
		"auto_rebuild":                  false,
		"auto_rebuild_grace_period":     "12h",
		"enable_delta":                  false,
		"delta_rebuild_interval":        "15m",
		"cross_cluster_revocation":      false,
		"unified_crl":                   false,
		"unified_crl_on_existing_paths": false,
		"max_crl_entries":               json.Number("100000"),
	}
)

// with returns a copy of base with changes applied.
func with(base map[string]interface{}, changes map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

func list(items ...string) []interface{} {
	out := make([]interface{}, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}

func assertAnswer(t *testing.T, what string, r result, want map[string]interface{}) {
	t.Helper()
	mustOK(t, r)
	if got := r.data(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

// unappliedWarnings returns the "stores but does not apply" warnings of r.
func unappliedWarnings(r result) []string {
	var out []string
	if r.resp == nil {
		return nil
	}
	for _, w := range r.resp.Warnings {
		if strings.Contains(w, "stores but does not apply these fields") {
			out = append(out, w)
		}
	}
	return out
}

func TestCAConfigReadsBeforeAnyWriteAnswerNativeDefaults(t *testing.T) {
	for _, tc := range []struct {
		path string
		want map[string]interface{}
	}{
		{"config/urls", defaultURLsAnswer},
		{"config/crl", defaultCRLAnswer},
	} {
		t.Run(tc.path, func(t *testing.T) {
			h := newHarness(t)
			mounted := h.storedEntries()
			r := h.read(tc.path)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, want 200 (native answers defaults, not 404)", r.status)
			}
			assertAnswer(t, "read", r, tc.want)
			if len(r.resp.Warnings) != 0 {
				t.Fatalf("a read warns: %v", r.resp.Warnings)
			}
			if changed := h.changedSince(mounted); len(changed) != 0 {
				t.Fatalf("a read stored %v", changed)
			}
		})
	}
}

func TestCAConfigWritesRoundTripInNativeShapes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		path   string
		writes []map[string]interface{}
		want   map[string]interface{}
	}{
		{
			name: "urls as strings",
			path: "config/urls",
			writes: []map[string]interface{}{{
				"issuing_certificates":    "http://a.example.com/ca, http://b.example.com/ca",
				"crl_distribution_points": "http://a.example.com/crl",
				"ocsp_servers":            "ocsp.example.com:8200/ocsp",
				"enable_templating":       "false",
			}},
			want: with(defaultURLsAnswer, map[string]interface{}{
				"issuing_certificates":    list("http://a.example.com/ca", "http://b.example.com/ca"),
				"crl_distribution_points": list("http://a.example.com/crl"),
				"ocsp_servers":            list("ocsp.example.com:8200/ocsp"),
			}),
		},
		{
			name: "urls as JSON lists, then one list cleared and the rest kept",
			path: "config/urls",
			writes: []map[string]interface{}{
				{"issuing_certificates": []interface{}{"http://a.example.com/ca"}, "delta_crl_distribution_points": []interface{}{"http://a.example.com/delta"}, "crl_distribution_points": "http://a.example.com/crl"},
				{"issuing_certificates": ""},
			},
			want: with(defaultURLsAnswer, map[string]interface{}{
				"crl_distribution_points":       list("http://a.example.com/crl"),
				"delta_crl_distribution_points": list("http://a.example.com/delta"),
			}),
		},
		{
			name: "templated urls are stored unchecked",
			path: "config/urls",
			writes: []map[string]interface{}{{
				"enable_templating": true, "issuing_certificates": "{{cluster_path}}/issuer/{{issuer_id}}/der",
			}},
			want: with(defaultURLsAnswer, map[string]interface{}{
				"enable_templating":    true,
				"issuing_certificates": list("{{cluster_path}}/issuer/{{issuer_id}}/der"),
			}),
		},
		{
			name: "crl as strings, as terraform sends them",
			path: "config/crl",
			writes: []map[string]interface{}{{
				"expiry": "48h", "disable": "true", "ocsp_disable": "true", "ocsp_expiry": "0",
				"auto_rebuild": "true", "auto_rebuild_grace_period": "6h", "enable_delta": "true",
				"delta_rebuild_interval": "30m", "cross_cluster_revocation": "false", "unified_crl": "false",
				"unified_crl_on_existing_paths": "false", "max_crl_entries": "-1",
			}},
			want: with(defaultCRLAnswer, map[string]interface{}{
				"expiry": "48h", "disable": true, "ocsp_disable": true, "ocsp_expiry": "0",
				"auto_rebuild": true, "auto_rebuild_grace_period": "6h", "enable_delta": true,
				"delta_rebuild_interval": "30m", "max_crl_entries": json.Number("-1"),
			}),
		},
		{
			name:   "crl expiry as a number of seconds is kept as its text",
			path:   "config/crl",
			writes: []map[string]interface{}{{"expiry": 3600}},
			want:   with(defaultCRLAnswer, map[string]interface{}{"expiry": "3600"}),
		},
		{
			name: "crl max_crl_entries of 0 or below -1 leaves the stored value",
			path: "config/crl",
			writes: []map[string]interface{}{
				{"max_crl_entries": 500}, {"max_crl_entries": 0}, {"max_crl_entries": -7},
			},
			want: with(defaultCRLAnswer, map[string]interface{}{"max_crl_entries": json.Number("500")}),
		},
		{
			// Native's read migrations: an empty expiry reads as 72h; an empty delta interval
			// reads as 15m after the first write (stored as version 1) but not after later ones.
			name: "crl empty durations read back as native's migrations leave them",
			path: "config/crl",
			writes: []map[string]interface{}{
				{"expiry": "", "delta_rebuild_interval": ""},
				{"auto_rebuild_grace_period": "", "delta_rebuild_interval": "", "ocsp_expiry": ""},
			},
			want: with(defaultCRLAnswer, map[string]interface{}{
				"auto_rebuild_grace_period": "", "delta_rebuild_interval": "", "ocsp_expiry": "",
			}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var last result
			for _, w := range tc.writes {
				last = h.write(tc.path, w)
				if last.status != http.StatusOK {
					t.Fatalf("write %v: status %d (%s), want 200 with data as native", w, last.status, last.errorText())
				}
			}
			read := h.read(tc.path)
			assertAnswer(t, "read after the writes", read, tc.want)

			// After a restart the stored values answer the same.
			again := newHarnessOn(t, h.ca, h.storage)
			assertAnswer(t, "read after a restart", again.read(tc.path), tc.want)
		})
	}
}

func TestCAConfigWriteAnswersTheStoredConfiguration(t *testing.T) {
	h := newHarness(t)
	// Native answers a write with the configuration as stored, before read-time normalisation:
	// an empty expiry is "" in the write's answer and "72h" on the next read.
	w := h.write("config/crl", map[string]interface{}{"expiry": ""})
	assertAnswer(t, "write", w, with(defaultCRLAnswer, map[string]interface{}{"expiry": ""}))
	assertAnswer(t, "read", h.read("config/crl"), defaultCRLAnswer)

	u := h.write("config/urls", map[string]interface{}{"ocsp_servers": "http://ocsp.example.com"})
	assertAnswer(t, "urls write", u, with(defaultURLsAnswer, map[string]interface{}{"ocsp_servers": list("http://ocsp.example.com")}))
}

func TestCAConfigValidationErrorsAreNatives(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		setup map[string]interface{}
		data  map[string]interface{}
		want  string
	}{
		{"not a url", "config/urls", nil, map[string]interface{}{"issuing_certificates": "not a url"},
			"invalid URL found in Authority Information Access (AIA) parameter issuing_certificates: not a url"},
		{"too short", "config/urls", nil, map[string]interface{}{"ocsp_servers": "ftp"},
			"invalid URL found in Authority Information Access (AIA) parameter ocsp_servers: ftp"},
		{"leading dot", "config/urls", nil, map[string]interface{}{"crl_distribution_points": ".example.com/crl"},
			"invalid URL found in Authority Information Access (AIA) parameter crl_distribution_points: .example.com/crl"},
		{"relative path", "config/urls", nil, map[string]interface{}{"crl_distribution_points": "example.com/crl"},
			"invalid URL found in Authority Information Access (AIA) parameter crl_distribution_points: example.com/crl"},
		{"path without a host name", "config/urls", nil, map[string]interface{}{"delta_crl_distribution_points": "/crl/delta"},
			"invalid URL found in Authority Information Access (AIA) parameter delta_crl_distribution_points: /crl/delta"},
		{"host with a leading dot", "config/urls", nil, map[string]interface{}{"ocsp_servers": "http://.example.com/ocsp"},
			"invalid URL found in Authority Information Access (AIA) parameter ocsp_servers: http://.example.com/ocsp"},
		{"number", "config/urls", nil, map[string]interface{}{"issuing_certificates": 5},
			"invalid URL found in Authority Information Access (AIA) parameter issuing_certificates: 5"},
		{"template without templating", "config/urls", nil, map[string]interface{}{"issuing_certificates": "http://v.example.com/{{issuer_id}}"},
			"invalid URL found in Authority Information Access (AIA) parameter issuing_certificates: http://v.example.com/{{issuer_id}}"},
		{"first bad field in native's order", "config/urls", nil, map[string]interface{}{"ocsp_servers": "bad one", "issuing_certificates": "bad two"},
			"invalid URL found in Authority Information Access (AIA) parameter issuing_certificates: bad two"},
		{"templating switched off over stored templates", "config/urls",
			map[string]interface{}{"enable_templating": true, "issuing_certificates": "{{cluster_path}}/der"},
			map[string]interface{}{"enable_templating": false},
			"invalid URL found in Authority Information Access (AIA) parameter issuing_certificates: {{cluster_path}}/der"},
		{"bool that is not one", "config/urls", nil, map[string]interface{}{"enable_templating": "maybe"},
			`Field validation failed: error converting input for field "enable_templating": cannot parse '' as bool: strconv.ParseBool: parsing "maybe": invalid syntax`},
		{"bad expiry", "config/crl", nil, map[string]interface{}{"expiry": "soon"},
			`given expiry could not be decoded: time: invalid duration "soon"`},
		{"negative ocsp_expiry", "config/crl", nil, map[string]interface{}{"ocsp_expiry": "-1h"},
			"ocsp_expiry must be greater than or equal to 0 got: -1h0m0s"},
		{"bad ocsp_expiry", "config/crl", nil, map[string]interface{}{"ocsp_expiry": "x"},
			`given ocsp_expiry could not be decoded: time: invalid duration "x"`},
		{"bad grace period", "config/crl", nil, map[string]interface{}{"auto_rebuild_grace_period": "later"},
			`given auto_rebuild_grace_period could not be decoded: time: invalid duration "later"`},
		{"bad delta interval", "config/crl", nil, map[string]interface{}{"delta_rebuild_interval": "often"},
			`given delta_rebuild_interval could not be decoded: time: invalid duration "often"`},
		{"grace period not shorter than expiry", "config/crl", nil, map[string]interface{}{"auto_rebuild": true, "auto_rebuild_grace_period": "72h"},
			"CRL auto-rebuilding grace period (72h) must be strictly shorter than CRL expiry (72h) value when auto-rebuilding of CRLs is enabled"},
		{"empty expiry with auto rebuild", "config/crl", map[string]interface{}{"auto_rebuild": true}, map[string]interface{}{"expiry": ""},
			"CRL auto-rebuilding grace period (12h) must be strictly shorter than CRL expiry () value when auto-rebuilding of CRLs is enabled"},
		{"delta window not shorter than expiry", "config/crl", nil, map[string]interface{}{"auto_rebuild": true, "enable_delta": true, "delta_rebuild_interval": "80h"},
			"CRL delta rebuild window (80h) must be strictly shorter than CRL expiry (72h) value when delta CRLs are enabled"},
		{"delta without auto rebuild", "config/crl", nil, map[string]interface{}{"enable_delta": true},
			"Delta CRLs cannot be enabled when auto rebuilding is disabled as the complete CRL is always regenerated!"},
		{"auto rebuild switched off under delta", "config/crl", map[string]interface{}{"auto_rebuild": true, "enable_delta": true}, map[string]interface{}{"auto_rebuild": false},
			"Delta CRLs cannot be enabled when auto rebuilding is disabled as the complete CRL is always regenerated!"},
		{"cross-cluster queue without auto rebuild", "config/crl", nil, map[string]interface{}{"cross_cluster_revocation": true},
			"Global, cross-cluster revocation queue cannot be enabled when auto rebuilding is disabled as the local cluster may not have the certificate entry!"},
		{"cross-cluster queue", "config/crl", nil, map[string]interface{}{"cross_cluster_revocation": true, "auto_rebuild": true},
			"Global, cross-cluster revocation queue (cross_cluster_revocation) cannot be enabled on this engine: " + pkitest.DisplayName + " keeps one revocation list for all clusters."},
		{"unified crl", "config/crl", nil, map[string]interface{}{"unified_crl": "true", "auto_rebuild": "true"},
			"unified_crl cannot be enabled on this engine: " + pkitest.DisplayName + " publishes one CRL for all clusters"},
		{"unified crl on existing paths alone", "config/crl", nil, map[string]interface{}{"unified_crl_on_existing_paths": true},
			"unified_crl_on_existing_paths cannot be enabled if unified_crl is disabled"},
		{"bool that is not one", "config/crl", nil, map[string]interface{}{"disable": "yes"},
			`Field validation failed: error converting input for field "disable": cannot parse '' as bool: strconv.ParseBool: parsing "yes": invalid syntax`},
		{"int that is not one", "config/crl", nil, map[string]interface{}{"max_crl_entries": "many"},
			`Field validation failed: error converting input for field "max_crl_entries": cannot parse '' as int: strconv.ParseInt: parsing "many": invalid syntax`},
	} {
		t.Run(tc.path+" "+tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.setup != nil {
				mustOK(t, h.write(tc.path, tc.setup))
			}
			before := h.read(tc.path).data(t)
			r := h.write(tc.path, tc.data)
			if r.status != http.StatusBadRequest || r.errorText() != tc.want {
				t.Fatalf("got status %d error %q\nwant status 400 error %q", r.status, r.errorText(), tc.want)
			}
			if after := h.read(tc.path).data(t); !reflect.DeepEqual(after, before) {
				t.Fatalf("a refused write changed the configuration:\n before %v\n after  %v", before, after)
			}
		})
	}
}

func TestCAConfigAcceptsWhatNativeCallsAURL(t *testing.T) {
	for _, u := range []string{
		"http://a.example.com/ca",
		"https://a.example.com:8200/v1/pki/ca",
		"ldap://ldap.example.com/cn=crl",
		"a.example.com:8200/ca", // host:port without a scheme counts as http
		"/v1/pki/crl.der",       // no host, but a dot in the path passes native's test
		"http://10.0.0.1/crl",
		"http://[::1]:8200/v1/pki/ocsp",
	} {
		t.Run(u, func(t *testing.T) {
			h := newHarness(t)
			r := h.write("config/urls", map[string]interface{}{"ocsp_servers": u})
			assertAnswer(t, "write", r, with(defaultURLsAnswer, map[string]interface{}{"ocsp_servers": list(u)}))
		})
	}
}

func TestCAConfigWritesWarnWhatDoesNotTakeEffect(t *testing.T) {
	for _, tc := range []struct {
		name string
		path string
		data map[string]interface{}
		// fields is what the warning must name, in this order; nil means no such warning.
		fields []string
		// other are further warnings expected word for word.
		other []string
	}{
		{"urls with no field", "config/urls", map[string]interface{}{}, nil, nil},
		{"urls unknown parameter only", "config/urls", map[string]interface{}{"bogus": "x"}, nil,
			[]string{"Endpoint ignored these unrecognized parameters: [bogus]"}},
		{"urls every field", "config/urls", map[string]interface{}{
			"ocsp_servers": "http://o.example.com", "enable_templating": "false", "issuing_certificates": "http://i.example.com",
			"delta_crl_distribution_points": "http://d.example.com", "crl_distribution_points": "http://c.example.com",
		}, []string{"issuing_certificates", "crl_distribution_points", "delta_crl_distribution_points", "ocsp_servers", "enable_templating"}, nil},
		{"urls clearing a list still names it", "config/urls", map[string]interface{}{"issuing_certificates": ""},
			[]string{"issuing_certificates"}, nil},
		{"urls delta without crl points", "config/urls", map[string]interface{}{"delta_crl_distribution_points": "http://d.example.com/1, http://d.example.com/2"},
			[]string{"delta_crl_distribution_points"},
			[]string{"delta_crl_distribution_points were set: http://d.example.com/1, http://d.example.com/2 but not crl_distribution_points, consider setting crl_distribution_points"}},
		{"crl with no field", "config/crl", map[string]interface{}{}, nil, nil},
		{"crl some fields", "config/crl", map[string]interface{}{"max_crl_entries": "10", "expiry": "24h", "ocsp_disable": false},
			[]string{"expiry", "ocsp_disable", "max_crl_entries"}, nil},
		{"crl ignored max_crl_entries still named", "config/crl", map[string]interface{}{"max_crl_entries": 0},
			[]string{"max_crl_entries"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.write(tc.path, tc.data)
			mustOK(t, r)
			unapplied := unappliedWarnings(r)
			var others []string
			for _, w := range r.resp.Warnings {
				if !strings.Contains(w, "stores but does not apply these fields") {
					others = append(others, w)
				}
			}
			if !reflect.DeepEqual(others, tc.other) {
				t.Fatalf("other warnings %q, want %q", others, tc.other)
			}
			if tc.fields == nil {
				if len(unapplied) != 0 {
					t.Fatalf("a write that sets nothing warns %q", unapplied)
				}
				return
			}
			if len(unapplied) != 1 {
				t.Fatalf("want one warning naming %v, got %q", tc.fields, unapplied)
			}
			prefix := tc.path + " stores but does not apply these fields: " + strings.Join(tc.fields, ", ") + " ("
			if !strings.HasPrefix(unapplied[0], prefix) || !strings.Contains(unapplied[0], pkitest.DisplayName+"'s CA") {
				t.Fatalf("warning %q, want it to start %q and name the Provider's CA (%s) as the one deciding", unapplied[0], prefix, pkitest.DisplayName)
			}
		})
	}
}

func TestCAConfigRefusalsCarryNoWarning(t *testing.T) {
	h := newHarness(t)
	r := h.write("config/crl", map[string]interface{}{"expiry": "soon"})
	mustFail(t, r, http.StatusBadRequest, "given expiry could not be decoded")
	if len(r.resp.Warnings) != 0 {
		t.Fatalf("a refused write warns %q", r.resp.Warnings)
	}
}

func TestCAConfigStorageLeavesTheCAConnectionAlone(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	before := h.read("config").data(t)

	mustOK(t, h.write("config/urls", map[string]interface{}{"issuing_certificates": "http://a.example.com/ca"}))
	mustOK(t, h.write("config/crl", map[string]interface{}{"expiry": "24h"}))

	if after := h.read("config").data(t); !reflect.DeepEqual(after, before) {
		t.Fatalf("config changed:\n before %v\n after  %v", before, after)
	}
	entries := h.storedEntries()
	for key, wantText := range map[string]string{"urls": `"issuing_certificates":["http://a.example.com/ca"]`, "config/crl": `"expiry":"24h"`} {
		if !strings.Contains(string(entries[key]), wantText) {
			t.Fatalf("storage %q = %s, want it to hold %s (native's key and JSON layout)", key, entries[key], wantText)
		}
	}
	// The engine still issues: the CA connection was not disturbed.
	h.webRole(nil)
	mustOK(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"}))
}

func TestCAConfigPathsServeOnlyReadAndUpdate(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"config/urls", "config/crl"} {
		for _, op := range []logical.Operation{logical.DeleteOperation, logical.ListOperation, logical.PatchOperation} {
			r := h.do(op, path, map[string]interface{}{})
			if r.status != http.StatusMethodNotAllowed {
				t.Fatalf("%s %s: status %d, want 405 as native", op, path, r.status)
			}
		}
	}
}

func TestCAConfigConcurrentWritesOfDifferentFieldsAllLand(t *testing.T) {
	h := newHarness(t)
	fields := []string{"issuing_certificates", "crl_distribution_points", "delta_crl_distribution_points", "ocsp_servers"}
	const rounds = 5
	var wg sync.WaitGroup
	for _, field := range fields {
		wg.Add(1)
		go func(field string) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				h.write("config/urls", map[string]interface{}{field: fmt.Sprintf("http://%d.example.com/%s", i, field)})
			}
		}(field)
	}
	wg.Wait()
	got := h.read("config/urls").data(t)
	for _, field := range fields {
		want := list(fmt.Sprintf("http://%d.example.com/%s", rounds-1, field))
		if !reflect.DeepEqual(got[field], want) {
			t.Fatalf("%s = %v, want %v: a concurrent write of another field lost this one", field, got[field], want)
		}
	}
}

func TestCAConfigConcurrentWritesLeaveOneWholeConfiguration(t *testing.T) {
	h := newHarness(t)
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan string, 2*writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			host := fmt.Sprintf("http://w%d.example.com/ca", i)
			if r := h.write("config/urls", map[string]interface{}{"issuing_certificates": host, "ocsp_servers": host}); r.status != http.StatusOK {
				errs <- r.errorText()
			}
			if r := h.write("config/crl", map[string]interface{}{"expiry": fmt.Sprintf("%dh", 24+i), "max_crl_entries": 10 + i}); r.status != http.StatusOK {
				errs <- r.errorText()
			}
			if r := h.read("config/urls"); r.status != http.StatusOK {
				errs <- r.errorText()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("concurrent request failed: %s", e)
	}
	urls := h.read("config/urls").data(t)
	if !reflect.DeepEqual(urls["issuing_certificates"], urls["ocsp_servers"]) {
		t.Fatalf("urls mix two writes: %v", urls)
	}
	crl := h.read("config/crl").data(t)
	var writer int
	if _, err := fmt.Sscanf(crl["expiry"].(string), "%dh", &writer); err != nil {
		t.Fatalf("expiry %v: %v", crl["expiry"], err)
	}
	if want := json.Number(fmt.Sprint(10 + writer - 24)); crl["max_crl_entries"] != want {
		t.Fatalf("crl mixes two writes: expiry %v with max_crl_entries %v", crl["expiry"], crl["max_crl_entries"])
	}
}
