package pkicompat

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/hashicorp/vault/sdk/helper/jsonutil"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/hashicorp/vault/sdk/plugin/pb"
)

// A wrapped LIST answer makes the trip Vault gives it (vault/wrapping.go and sys/wrapping/unwrap
// in vault/logical_system.go, v1.21.0) and comes out as the bytes Vault stores and unwraps for the
// same answer from an engine inside Vault: across the plugin connection, past the list check
// before wrapping, into the cubbyhole as JSON, and out of unwrap as the raw body.
func TestWrappedListUnwrapsAsNatives(t *testing.T) {
	for _, tc := range []struct {
		name, path, mountType, wantMountType string
		data                                 map[string]interface{}
	}{
		{"certs", "certs/", "keyfactor", "keyfactor", map[string]interface{}{"keys": []string{"01:02", "0a:0b"}}},
		{"issuers, unauthenticated", "issuers/", "keyfactor", "", map[string]interface{}{
			"keys":     []string{"id-1"},
			"key_info": map[string]interface{}{"id-1": map[string]interface{}{"issuer_name": "ca"}},
		}},
	} {
		req := &logical.Request{ID: "list-req-id", Operation: logical.ListOperation, Path: tc.path, MountType: tc.mountType,
			WrapInfo: &logical.RequestWrapInfo{TTL: 300e9}}
		resp := &logical.Response{Data: tc.data, Warnings: []string{"a warning"}}
		out, err := wrappableList(req, resp, []string{"cert/*", "issuer/+/pem", "issuers/"})
		if err != nil {
			t.Fatal(err)
		}

		// What native's answer would be stored as: Vault's own steps on the answer as data.
		nativeResp := logical.LogicalResponseToHTTPResponse(&logical.Response{Data: tc.data, Warnings: resp.Warnings, MountType: tc.wantMountType})
		nativeResp.RequestID = req.ID
		want, _ := json.Marshal(nativeResp)

		// The plugin's answer through the plugin connection, then Vault's steps.
		proto, err := pb.LogicalResponseToProtoResponse(out)
		if err != nil {
			t.Fatal(err)
		}
		inVault, err := pb.ProtoResponseToLogicalResponse(proto)
		if err != nil {
			t.Fatal(err)
		}
		if _, hasKeys := inVault.Data["keys"]; hasKeys || len(inVault.Data) == 0 {
			t.Fatalf("%s: Vault's list check before wrapping sees data %v; it refuses keys that are not a []string", tc.name, inVault.Data)
		}
		if len(inVault.Warnings) != 1 {
			t.Errorf("%s: warnings %v lost", tc.name, inVault.Warnings)
		}
		stored := logical.LogicalResponseToHTTPResponse(inVault)
		stored.RequestID = req.ID
		cubbyhole, err := json.Marshal(stored)
		if err != nil {
			t.Fatal(err)
		}
		var unwrapped logical.HTTPResponse
		if err := jsonutil.DecodeJSON(cubbyhole, &unwrapped); err != nil {
			t.Fatal(err)
		}
		raw, ok := unwrapped.Data[logical.HTTPRawBody].(string)
		if !ok {
			t.Fatalf("%s: unwrap finds no raw body in %s", tc.name, cubbyhole)
		}
		body, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			t.Fatalf("%s: unwrap cannot decode the raw body: %v", tc.name, err)
		}
		if !bytes.Equal(body, want) {
			t.Errorf("%s: unwrapped\n%s\nnative's\n%s", tc.name, body, want)
		}
	}
}

// Everything else passes through as the engine answered: Vault wraps it itself, or answers it
// as it answers native's (an empty wrapped list is 404 for both).
func TestOnlyWrappedListsWithKeysChange(t *testing.T) {
	wrap := &logical.RequestWrapInfo{TTL: 300e9}
	keys := &logical.Response{Data: map[string]interface{}{"keys": []string{"01"}}}
	packed, _ := packSerials([]string{"01"})
	for _, tc := range []struct {
		name string
		req  *logical.Request
		resp *logical.Response
		raw  bool
	}{
		{"wrapped list", &logical.Request{Operation: logical.ListOperation, WrapInfo: wrap}, keys, true},
		{"wrapped list, pre-encoded keys", &logical.Request{Operation: logical.ListOperation, WrapInfo: wrap},
			&logical.Response{Data: map[string]interface{}{"keys": packed}}, true},
		{"list", &logical.Request{Operation: logical.ListOperation}, keys, false},
		{"wrapped read", &logical.Request{Operation: logical.ReadOperation, WrapInfo: wrap}, keys, false},
		{"wrapped empty list", &logical.Request{Operation: logical.ListOperation, WrapInfo: wrap}, logical.ListResponse(nil), false},
		{"wrapped list error", &logical.Request{Operation: logical.ListOperation, WrapInfo: wrap}, logical.ErrorResponse("no"), false},
		{"wrapped list, no answer", &logical.Request{Operation: logical.ListOperation, WrapInfo: wrap}, nil, false},
	} {
		out, err := wrappableList(tc.req, tc.resp, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if raw := out != nil && out.Data[logical.HTTPRawBody] != nil; raw != tc.raw {
			t.Errorf("%s: raw answer %v, want %v", tc.name, raw, tc.raw)
		}
		if !tc.raw && out != tc.resp {
			t.Errorf("%s: answer changed", tc.name)
		}
	}
}

func TestSpecialPathMatchesAsVault(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"issuers/", "issuers/", true},
		{"issuers/", "certs/", false},
		{"cert/*", "cert/01:02", true},
		{"cert/*", "certs/", false},
		{"issuer/+/pem", "issuer/default/pem", true},
		{"issuer/+/pem", "issuer/default/der", false},
		{"issuer/+/pem", "issuer/pem", false},
		{"ca", "ca/pem", false},
		{"ca", "ca", true},
	} {
		if got := specialPathMatches(tc.pattern, tc.path); got != tc.want {
			t.Errorf("%q matches %q: %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}
