package compare

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/hashicorp/vault/sdk/helper/certutil"
	"github.com/hashicorp/vault/sdk/logical"
)

func TestObserveMapsOutcomesToHTTPStatusLikeVault(t *testing.T) {
	read := &logical.Request{Operation: logical.ReadOperation}
	write := &logical.Request{Operation: logical.UpdateOperation}
	list := &logical.Request{Operation: logical.ListOperation}
	tests := []struct {
		name      string
		req       *logical.Request
		resp      *logical.Response
		err       error
		status    int
		errorText string
	}{
		{"nil read is 404", read, nil, nil, 404, ""},
		{"nil write is 204", write, nil, nil, 204, ""},
		{"data is 200", read, &logical.Response{Data: map[string]interface{}{"a": 1}}, nil, 200, ""},
		{"error response is 400", write, logical.ErrorResponse("bad input"), nil, 400, "bad input"},
		{"go error is 500", write, nil, errors.New("boom"), 500, "boom"},
		{"coded error keeps its code", write, nil, logical.CodedError(502, "CA failed"), 502, "CA failed"},
		{"empty list is 404", list, &logical.Response{Data: map[string]interface{}{}}, nil, 404, ""},
		{"list with keys is 200", list, logical.ListResponse([]string{"a"}), nil, 200, ""},
		{"raw response carries its status", read, &logical.Response{Data: map[string]interface{}{
			logical.HTTPStatusCode: 204, logical.HTTPRawBody: []byte{}, logical.HTTPContentType: "application/pkix-cert"}}, nil, 204, ""},
		{"unsupported path is 404", read, nil, logical.ErrUnsupportedPath, 404, "unsupported path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs, err := Observe(tc.req, tc.resp, tc.err)
			if err != nil {
				t.Fatal(err)
			}
			if obs.Status != tc.status || obs.Error != tc.errorText {
				t.Errorf("got %d %q, want %d %q", obs.Status, obs.Error, tc.status, tc.errorText)
			}
		})
	}
}

func TestObserveSendsDataThroughJSON(t *testing.T) {
	yes := true
	resp := &logical.Response{Data: map[string]interface{}{
		"private_key_type": certutil.PrivateKeyType("rsa"),
		"flag":             &yes,
		"raw":              []byte{1, 2},
		"expiration":       int64(1700000000),
		"ca_chain":         []string{"a"},
	}}
	obs, err := Observe(&logical.Request{Operation: logical.UpdateOperation}, resp, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]interface{}{
		"private_key_type": "rsa",
		"flag":             true,
		"raw":              "AQI=",
		"expiration":       json.Number("1700000000"),
		"ca_chain":         []interface{}{"a"},
	}
	for k, v := range want {
		got, _ := json.Marshal(obs.Data[k])
		exp, _ := json.Marshal(v)
		if string(got) != string(exp) {
			t.Errorf("%s: got %s (%T), want %s", k, got, obs.Data[k], exp)
		}
	}
	if _, ok := obs.Data["expiration"].(json.Number); !ok {
		t.Errorf("expiration decoded as %T, want json.Number", obs.Data["expiration"])
	}
}
