package pkicompat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

// roleTestProvider is a Provider for role tests: roles never reach the CA, so it declares no
// configuration fields and builds no driver.
type roleTestProvider struct{}

func (roleTestProvider) DisplayName() string         { return "the test CA" }
func (roleTestProvider) ConfigFields() []ConfigField { return nil }
func (roleTestProvider) NewDriver(json.RawMessage) (Driver, []string, error) {
	return nil, nil, errors.New("roleTestProvider builds no driver")
}

type roleTestEnv struct {
	b       *backend
	storage logical.Storage
}

func newRoleTestEnv(t *testing.T) *roleTestEnv {
	t.Helper()
	b := newBackend(roleTestProvider{})
	conf := logical.TestBackendConfig()
	conf.StorageView = &logical.InmemStorage{}
	if err := b.Setup(context.Background(), conf); err != nil {
		t.Fatalf("setup: %v", err)
	}
	return &roleTestEnv{b: b, storage: conf.StorageView}
}

func (e *roleTestEnv) do(t *testing.T, op logical.Operation, path string, data map[string]interface{}) (*logical.Response, error) {
	t.Helper()
	return e.b.HandleRequest(context.Background(), &logical.Request{
		Operation: op,
		Path:      path,
		Data:      data,
		Storage:   e.storage,
	})
}

// mustOK runs a request that must succeed without an error response.
func (e *roleTestEnv) mustOK(t *testing.T, op logical.Operation, path string, data map[string]interface{}) *logical.Response {
	t.Helper()
	resp, err := e.do(t, op, path, data)
	if err != nil {
		t.Fatalf("%s %s: unexpected error %v", op, path, err)
	}
	if resp != nil && resp.IsError() {
		t.Fatalf("%s %s: unexpected error response %v", op, path, resp.Error())
	}
	return resp
}

// mustFail runs a request that must be refused with HTTP 400 and a message containing want.
func (e *roleTestEnv) mustFail(t *testing.T, op logical.Operation, path string, data map[string]interface{}, want string) {
	t.Helper()
	resp, err := e.do(t, op, path, data)
	status, rerr := logical.RespondErrorCommon(&logical.Request{Operation: op}, resp, err)
	if status != http.StatusBadRequest || rerr == nil {
		t.Fatalf("%s %s %v: status %d (%v), want 400", op, path, data, status, rerr)
	}
	if !strings.Contains(rerr.Error(), want) {
		t.Fatalf("%s %s: error %q does not contain %q", op, path, rerr.Error(), want)
	}
}

// roleJSONRoundTrip gives the role data as an HTTP client sees it.
func roleJSONRoundTrip(t *testing.T, v interface{}) map[string]interface{} {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]interface{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// nativeDefaultRole is the data native PKI returns for `vault write pki/roles/x` with no fields
// (Vault v1.21.0), as JSON.
const nativeDefaultRole = `{
 "allow_any_name": false, "allow_bare_domains": false, "allow_glob_domains": false,
 "allow_ip_sans": true, "allow_localhost": true, "allow_subdomains": false,
 "allow_token_displayname": false, "allow_wildcard_certificates": true,
 "allowed_domains": [], "allowed_domains_template": false, "allowed_other_sans": [],
 "allowed_serial_numbers": [], "allowed_uri_sans": [], "allowed_uri_sans_template": false,
 "allowed_user_ids": [], "basic_constraints_valid_for_non_ca": false, "client_flag": true,
 "cn_validations": ["email", "hostname"], "code_signing_flag": false, "country": [],
 "email_protection_flag": false, "enforce_hostnames": true, "ext_key_usage": [],
 "ext_key_usage_oids": [], "generate_lease": false, "issuer_ref": "default", "key_bits": 2048,
 "key_type": "rsa", "key_usage": ["DigitalSignature", "KeyAgreement", "KeyEncipherment"],
 "locality": [], "max_ttl": 0, "no_store": false, "not_after": "", "not_before_duration": 30,
 "organization": [], "ou": [], "policy_identifiers": [], "postal_code": [], "province": [],
 "require_cn": true, "serial_number_source": "json-csr", "server_flag": true,
 "signature_bits": 256, "street_address": [], "ttl": 0, "use_csr_common_name": true,
 "use_csr_sans": true, "use_pss": false
}`

func TestRoleWriteDefaultsMatchNative(t *testing.T) {
	e := newRoleTestEnv(t)
	var want map[string]interface{}
	if err := json.Unmarshal([]byte(nativeDefaultRole), &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != 48 {
		t.Fatalf("native default role has %d keys, native answers 48", len(want))
	}
	// This engine's own keys, listed as deliberate differences.
	want["ca"] = ""
	want["template"] = ""
	want["metadata"] = ""
	want["allow_request_overrides"] = false
	want["pending_ttl"] = roleJSONRoundTrip(t, map[string]interface{}{"v": 7 * 24 * 3600})["v"]
	want["metadata_from_request"] = ""
	want["enforced_fields"] = roleJSONRoundTrip(t, map[string]interface{}{"v": enforcedRoleFields})["v"]

	written := e.mustOK(t, logical.UpdateOperation, "roles/web", nil)
	read := e.mustOK(t, logical.ReadOperation, "roles/web", nil)
	for label, resp := range map[string]*logical.Response{"write": written, "read": read} {
		got := roleJSONRoundTrip(t, resp.Data)
		if !reflect.DeepEqual(got, want) {
			for k := range want {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("%s: %s = %#v, want %#v", label, k, got[k], want[k])
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: unexpected key %s", label, k)
				}
			}
		}
	}
	if !sort.StringsAreSorted(enforcedRoleFields) {
		t.Errorf("enforced_fields is not sorted: %v", enforcedRoleFields)
	}
	// No config stored: native warns that there is no default issuer.
	if !roleHasWarning(written.Warnings, warnNoDefaultIssuer) {
		t.Errorf("warnings %q lack the native no-default-issuer warning", written.Warnings)
	}
}

func roleHasWarning(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestRoleWriteInputTypesAndNormalisation(t *testing.T) {
	tests := []struct {
		name string
		data map[string]interface{}
		want map[string]interface{}
	}{
		{
			name: "string-typed values as the CLI sends them",
			data: map[string]interface{}{
				"allow_subdomains": "true", "ttl": "72h", "max_ttl": "2160h0m0s", "key_bits": "4096",
				"allowed_domains": "example.com,example.org", "not_before_duration": "60",
			},
			want: map[string]interface{}{
				"allow_subdomains": true, "ttl": float64(259200), "max_ttl": float64(7776000),
				"key_bits": float64(4096), "allowed_domains": []interface{}{"example.com", "example.org"},
				"not_before_duration": float64(60),
			},
		},
		{
			name: "JSON-typed values as the API sends them",
			data: map[string]interface{}{
				"allow_bare_domains": true, "ttl": 3600, "allowed_domains": []interface{}{"a.com", "b.com"},
				"ou": []string{"Eng", "Ops"},
			},
			want: map[string]interface{}{
				"allow_bare_domains": true, "ttl": float64(3600), "allowed_domains": []interface{}{"a.com", "b.com"},
				"ou": []interface{}{"Eng", "Ops"},
			},
		},
		{
			name: "ec gets 256 bits and keeps signature_bits 0",
			data: map[string]interface{}{"key_type": "ec"},
			want: map[string]interface{}{"key_type": "ec", "key_bits": float64(256), "signature_bits": float64(0)},
		},
		{
			name: "ec keeps a given signature_bits",
			data: map[string]interface{}{"key_type": "ec", "key_bits": "384", "signature_bits": "384"},
			want: map[string]interface{}{"key_bits": float64(384), "signature_bits": float64(384)},
		},
		{
			name: "rsa keeps a valid signature_bits",
			data: map[string]interface{}{"signature_bits": 512},
			want: map[string]interface{}{"signature_bits": float64(512)},
		},
		{
			name: "policy identifiers as a JSON list of policy objects",
			data: map[string]interface{}{"policy_identifiers": `[{"oid":"1.3.6.1.4.1.7.8","notice":"I am a user Notice"},{"oid":"1.3.6.1.4.1.44947.1.2.4","cps":"https://example.com"}]`},
			want: map[string]interface{}{"policy_identifiers": []interface{}{
				`{"oid":"1.3.6.1.4.1.7.8","notice":"I am a user Notice"}`,
				`{"oid":"1.3.6.1.4.1.44947.1.2.4","cps":"https://example.com"}`,
			}},
		},
		{
			name: "policy identifiers as OIDs",
			data: map[string]interface{}{"policy_identifiers": "1.2.3.4,1.2.3.5"},
			want: map[string]interface{}{"policy_identifiers": []interface{}{"1.2.3.4", "1.2.3.5"}},
		},
		{
			name: "ed25519 keeps 0 bits",
			data: map[string]interface{}{"key_type": "ed25519", "signature_bits": 384},
			want: map[string]interface{}{"key_type": "ed25519", "key_bits": float64(0), "signature_bits": float64(0)},
		},
		{
			name: "any keeps 0 bits",
			data: map[string]interface{}{"key_type": "any"},
			want: map[string]interface{}{"key_type": "any", "key_bits": float64(0)},
		},
		{
			name: "wildcards can be forbidden",
			data: map[string]interface{}{"allow_wildcard_certificates": "false"},
			want: map[string]interface{}{"allow_wildcard_certificates": false},
		},
		{
			name: "no_store forces generate_lease off",
			data: map[string]interface{}{"no_store": true, "generate_lease": true},
			want: map[string]interface{}{"no_store": true, "generate_lease": false},
		},
		{
			name: "generate_lease alone is kept",
			data: map[string]interface{}{"generate_lease": true},
			want: map[string]interface{}{"generate_lease": true},
		},
		{
			name: "cn_validations lower-cased",
			data: map[string]interface{}{"cn_validations": "Email"},
			want: map[string]interface{}{"cn_validations": []interface{}{"email"}},
		},
		{
			name: "engine fields",
			data: map[string]interface{}{
				"ca": "CA1\\Issuing", "template": "WebServer", "metadata": `{"app":"web"}`,
				"allow_request_overrides": "true",
			},
			want: map[string]interface{}{
				"ca": "CA1\\Issuing", "template": "WebServer", "metadata": `{"app":"web"}`,
				"allow_request_overrides": true,
			},
		},
		{
			name: "empty issuer_ref becomes default",
			data: map[string]interface{}{"issuer_ref": ""},
			want: map[string]interface{}{"issuer_ref": "default"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newRoleTestEnv(t)
			written := roleJSONRoundTrip(t, e.mustOK(t, logical.UpdateOperation, "roles/r1", tc.data).Data)
			read := roleJSONRoundTrip(t, e.mustOK(t, logical.ReadOperation, "roles/r1", nil).Data)
			for k, v := range tc.want {
				if !reflect.DeepEqual(written[k], v) {
					t.Errorf("write: %s = %#v, want %#v", k, written[k], v)
				}
				if !reflect.DeepEqual(read[k], v) {
					t.Errorf("read: %s = %#v, want %#v", k, read[k], v)
				}
			}
		})
	}
}

func TestRoleWriteWarnings(t *testing.T) {
	tests := []struct {
		name      string
		data      map[string]interface{}
		want      []string // substrings that must appear in some warning
		forbidden []string // substrings no warning may contain
	}{
		{
			name: "generate_lease",
			data: map[string]interface{}{"generate_lease": true},
			want: []string{warnGenerateLease},
		},
		{
			name: "no_store with generate_lease",
			data: map[string]interface{}{"generate_lease": true, "no_store": true},
			want: []string{warnNoStoreAndLease},
		},
		{
			name:      "unenforced fields with non-default values are named",
			data:      map[string]interface{}{"key_usage": "DigitalSignature", "ttl": "1h", "server_flag": false, "allowed_domains": "example.com"},
			want:      []string{"does not enforce these role fields", "key_usage", "server_flag", "ttl"},
			forbidden: []string{"allowed_domains"},
		},
		{
			name:      "unenforced fields at their defaults are not named",
			data:      map[string]interface{}{"server_flag": true, "client_flag": "true", "ttl": 0, "key_usage": "DigitalSignature,KeyAgreement,KeyEncipherment", "signature_bits": 256},
			forbidden: []string{"does not enforce"},
		},
		{
			name: "unknown parameters are reported by the framework",
			data: map[string]interface{}{"bogus_field": "x"},
			want: []string{"Endpoint ignored these unrecognized parameters: [bogus_field]"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newRoleTestEnv(t)
			resp := e.mustOK(t, logical.UpdateOperation, "roles/w", tc.data)
			all := strings.Join(resp.Warnings, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("warnings %q lack %q", resp.Warnings, w)
				}
			}
			for _, f := range tc.forbidden {
				if strings.Contains(all, f) {
					t.Errorf("warnings %q must not contain %q", resp.Warnings, f)
				}
			}
		})
	}
}

func TestRoleWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		data map[string]interface{}
		want string
	}{
		{"ttl above max_ttl", map[string]interface{}{"ttl": "2h", "max_ttl": "1h"}, `"ttl" value must be less than "max_ttl" value`},
		{"rsa 1024", map[string]interface{}{"key_bits": 1024}, "RSA keys < 2048 bits are unsafe and not supported: got 1024"},
		{"rsa odd size", map[string]interface{}{"key_bits": 3000}, "unsupported bit length for RSA key: 3000"},
		{"ec 300", map[string]interface{}{"key_type": "ec", "key_bits": 300}, "unsupported bit length for EC key: 300"},
		{"dsa", map[string]interface{}{"key_type": "dsa"}, "unknown key type dsa"},
		{"rsa signature bits", map[string]interface{}{"signature_bits": 100}, "unsupported hash signature algorithm: 100"},
		{"policy identifier", map[string]interface{}{"policy_identifiers": "notanoid"}, `Policy Identifier "notanoid" is neither a valid OID`},
		{"cn_validations unknown", map[string]interface{}{"cn_validations": "foo"}, "cn_validations value incorrect: unknown type: `foo`"},
		{"cn_validations disabled with email", map[string]interface{}{"cn_validations": "disabled,email"}, "cannot specify `disabled` along with `email` or `hostname`"},
		{"cn_validations twice", map[string]interface{}{"cn_validations": "email,email"}, "`email` specified multiple times"},
		{"serial_number_source", map[string]interface{}{"serial_number_source": "csr"}, "unknown serial_number_source csr"},
		{"ext_key_usage_oids", map[string]interface{}{"ext_key_usage_oids": "not-an-oid"}, `"not-an-oid" could not be parsed as a valid oid for an extended key usage`},
		{"allowed_other_sans", map[string]interface{}{"allowed_other_sans": "1.2.3.4"}, "error parsing allowed_other_sans: expected a semicolon"},
		{"metadata not JSON", map[string]interface{}{"metadata": "{bad"}, "metadata must be a JSON object"},
		{"metadata not an object", map[string]interface{}{"metadata": "[1,2]"}, "metadata must be a JSON object"},
		{"negative ttl", map[string]interface{}{"ttl": "-5"}, `error converting input for field "ttl"`},
		{"bool that is not", map[string]interface{}{"allow_subdomains": "maybe"}, `allow_subdomains`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newRoleTestEnv(t)
			e.mustFail(t, logical.UpdateOperation, "roles/bad", tc.data, tc.want)
			// A refused write stores nothing.
			if resp, err := e.do(t, logical.ReadOperation, "roles/bad", nil); err != nil || resp != nil {
				t.Fatalf("refused role was stored: %v %v", resp, err)
			}
		})
	}
}

func TestRolePatchMergesAndRevalidates(t *testing.T) {
	e := newRoleTestEnv(t)
	e.mustOK(t, logical.UpdateOperation, "roles/p", map[string]interface{}{
		"allowed_domains": "example.com", "allow_subdomains": true, "ttl": "1h", "generate_lease": true,
		"ca": "CA1",
	})

	resp := e.mustOK(t, logical.PatchOperation, "roles/p", map[string]interface{}{"allow_bare_domains": "true"})
	got := roleJSONRoundTrip(t, resp.Data)
	want := map[string]interface{}{
		"allowed_domains": []interface{}{"example.com"}, "allow_subdomains": true, "allow_bare_domains": true,
		"ttl": float64(3600), "generate_lease": true, "ca": "CA1", "key_bits": float64(2048),
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("after patch %s = %#v, want %#v", k, got[k], v)
		}
	}
	// The stored generate_lease counts: patching no_store on warns as native does.
	resp = e.mustOK(t, logical.PatchOperation, "roles/p", map[string]interface{}{"no_store": true})
	if !roleHasWarning(resp.Warnings, warnNoStoreAndLease) {
		t.Errorf("warnings %q lack %q", resp.Warnings, warnNoStoreAndLease)
	}
	if got := roleJSONRoundTrip(t, resp.Data)["generate_lease"]; got != false {
		t.Errorf("generate_lease = %v after no_store, want false", got)
	}
	// A patch is validated against the merged role: ec with the stored 2048 bits is refused.
	e.mustFail(t, logical.PatchOperation, "roles/p", map[string]interface{}{"key_type": "ec"}, "unsupported bit length for EC key: 2048")
	e.mustFail(t, logical.PatchOperation, "roles/p", map[string]interface{}{"max_ttl": "30m"}, `"ttl" value must be less than "max_ttl" value`)
	// Missing role: native's text.
	e.mustFail(t, logical.PatchOperation, "roles/missing", map[string]interface{}{"ttl": 1}, errPatchMissingRole)
}

func TestRoleListReadDelete(t *testing.T) {
	e := newRoleTestEnv(t)
	if resp := e.mustOK(t, logical.ListOperation, "roles/", nil); resp != nil && resp.Data["keys"] != nil {
		t.Fatalf("empty list answered keys %v", resp.Data["keys"])
	}
	for _, n := range []string{"web", "api-1", "a.b_c", "Z"} {
		e.mustOK(t, logical.UpdateOperation, "roles/"+n, map[string]interface{}{"allowed_domains": n + ".example.com"})
	}
	resp := e.mustOK(t, logical.ListOperation, "roles/", nil)
	keys, _ := resp.Data["keys"].([]string)
	if want := []string{"Z", "a.b_c", "api-1", "web"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
	if resp := e.mustOK(t, logical.ReadOperation, "roles/nope", nil); resp != nil {
		t.Fatalf("read of a missing role = %v, want nil (404)", resp)
	}
	for _, n := range []string{"web", "web", "never-existed"} {
		if resp := e.mustOK(t, logical.DeleteOperation, "roles/"+n, nil); resp != nil {
			t.Fatalf("delete %s = %v, want nil (204)", n, resp)
		}
	}
	resp = e.mustOK(t, logical.ListOperation, "roles/", nil)
	if keys, _ := resp.Data["keys"].([]string); !reflect.DeepEqual(keys, []string{"Z", "a.b_c", "api-1"}) {
		t.Fatalf("after delete keys = %v", keys)
	}
	// Names outside the native pattern match no path.
	for _, bad := range []string{"roles/has space", "roles/-lead", "roles/trail-"} {
		_, err := e.do(t, logical.UpdateOperation, bad, nil)
		if !errors.Is(err, logical.ErrUnsupportedPath) {
			t.Errorf("%s: err = %v, want unsupported path", bad, err)
		}
	}
}

func TestRoleStoredUnderNativeKeyAndLoadedByGetRole(t *testing.T) {
	e := newRoleTestEnv(t)
	e.mustOK(t, logical.UpdateOperation, "roles/r", map[string]interface{}{
		"key_type": "ec", "key_bits": 384, "ttl": "90s", "ou": "Eng", "no_store": true,
		"template": "Web", "metadata": `{"a":"b"}`, "allow_wildcard_certificates": false,
	})
	entry, err := e.storage.Get(context.Background(), "role/r")
	if err != nil || entry == nil {
		t.Fatalf("role/r not stored: %v", err)
	}
	role, err := getRole(context.Background(), e.storage, "r")
	if err != nil || role == nil {
		t.Fatalf("getRole: %v %v", role, err)
	}
	if role.KeyType != "ec" || role.KeyBits != 384 || role.TTL.Seconds() != 90 || !role.NoStore ||
		role.Template != "Web" || role.Metadata != `{"a":"b"}` || role.wildcardsAllowed() ||
		*role.GenerateLease || !reflect.DeepEqual(role.OU, []string{"Eng"}) {
		t.Fatalf("getRole returned %+v", role)
	}
	if missing, err := getRole(context.Background(), e.storage, "nope"); missing != nil || err != nil {
		t.Fatalf("getRole(missing) = %v, %v; want nil, nil", missing, err)
	}
}

func TestGetRoleUpgradesSparseEntries(t *testing.T) {
	s := &logical.InmemStorage{}
	entry, err := logical.StorageEntryJSON("role/old", map[string]interface{}{"allowed_domains": []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), entry); err != nil {
		t.Fatal(err)
	}
	role, err := getRole(context.Background(), s, "old")
	if err != nil {
		t.Fatal(err)
	}
	if !role.wildcardsAllowed() || role.IssuerRef != "default" || role.KeyType != "rsa" ||
		!reflect.DeepEqual(role.CNValidations, []string{"email", "hostname"}) || role.GenerateLease == nil {
		t.Fatalf("sparse role not upgraded: %+v", role)
	}
}

// Every role input field is either enforced here or named as not enforced, never both, so no
// field is silently half-applied.
func TestRoleFieldsAreEnforcedOrDeclared(t *testing.T) {
	seen := map[string]string{}
	for _, f := range enforcedRoleFields {
		seen[f] = "enforced"
	}
	for _, f := range unenforcedRoleFields {
		if seen[f] != "" {
			t.Errorf("%s is both enforced and unenforced", f)
		}
		seen[f] = "unenforced"
	}
	for name := range roleFieldSchemas() {
		if name == "name" || name == "backend" {
			continue
		}
		if seen[name] == "" {
			t.Errorf("role field %s is neither enforced nor declared unenforced", name)
		}
		delete(seen, name)
	}
	for f := range seen {
		t.Errorf("%s is listed but is not a role field", f)
	}
}
