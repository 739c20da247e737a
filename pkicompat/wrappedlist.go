package pkicompat

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hashicorp/vault/sdk/logical"
)

// Response-wrapped LIST answers (`vault list -wrap-ttl=5m pki/certs`, X-Vault-Wrap-TTL).
//
// Why: Vault cannot wrap an external plugin's LIST answer as it is. Before wrapping a list,
// wrapInCubbyhole (vault/wrapping.go, v1.21.0) requires data.keys to be a []string and answers
// 404 "unsupported path" otherwise; a plugin's answer reaches Vault decoded from JSON, so its keys
// are a []interface{}. Native PKI, inside Vault, gets a wrapping token for the same request
// (measured on a real Vault: TestRealHTTPNativeVersusPlugin, checkListAnswers).
//
// What Vault stores in the wrapping token's cubbyhole for native's answer is the JSON of the
// answer as an HTTP response (json.Marshal of logical.HTTPResponse, with the listing's request
// id), and sys/wrapping/unwrap writes that JSON back as it is. A response carrying its own raw
// HTTP body passes the list check (it has data, and no keys), is stored the same way, and
// unwrap writes the raw body instead (it recognises http_raw_body among the stored data). So a
// wrapped LIST answers with that same JSON as its raw body: the client gets the same wrapping
// token envelope, and unwrapping gives the same bytes native's would.
//
// Only the plugin process needs this (in Vault's process the keys stay a []string), only for a
// non-empty list (Vault answers an empty one 404 before wrapping, for native too), and only for
// an answer without a lease or auth (raw answers may carry neither; LIST answers never do).

// wrappableList is resp, unless req asks for a wrapped LIST and resp lists keys: then the raw
// answer whose body is what Vault would have stored for resp. unauthenticated are the mount's
// unauthenticated path patterns.
func wrappableList(req *logical.Request, resp *logical.Response, unauthenticated []string) (*logical.Response, error) {
	if req == nil || req.Operation != logical.ListOperation || req.WrapInfo == nil ||
		resp == nil || resp.IsError() || resp.Secret != nil || resp.Auth != nil || !hasKeys(resp) {
		return resp, nil
	}
	httpResp := logical.LogicalResponseToHTTPResponse(resp)
	httpResp.RequestID = req.ID
	// Vault writes the mount's type into answers to authenticated paths only: it handles the
	// unauthenticated ones as logins (handleLoginRequest), whose answers leave mount_type empty.
	if !matchesAnySpecialPath(unauthenticated, req.Path) {
		httpResp.MountType = req.MountType
	}
	body, err := json.Marshal(httpResp)
	if err != nil {
		return nil, err
	}
	return &logical.Response{
		Data: map[string]interface{}{
			logical.HTTPStatusCode:  http.StatusOK,
			logical.HTTPContentType: "application/json",
			logical.HTTPRawBody:     body,
		},
		Warnings: resp.Warnings,
	}, nil
}

// hasKeys reports whether resp lists at least one key, as Vault's list check wants it.
func hasKeys(resp *logical.Response) bool {
	switch keys := resp.Data["keys"].(type) {
	case []string:
		return len(keys) > 0
	case *packedSerials:
		return keys.len() > 0
	default:
		return false
	}
}

// matchesAnySpecialPath reports whether path matches one of patterns as Vault matches a
// backend's special paths: exactly, as a prefix when the pattern ends in '*', with '+' standing
// for any one segment.
func matchesAnySpecialPath(patterns []string, path string) bool {
	for _, p := range patterns {
		if specialPathMatches(p, path) {
			return true
		}
	}
	return false
}

func specialPathMatches(pattern, path string) bool {
	prefix := strings.HasSuffix(pattern, "*")
	want := strings.Split(strings.TrimSuffix(pattern, "*"), "/")
	got := strings.Split(path, "/")
	if len(got) < len(want) || (!prefix && len(got) != len(want)) {
		return false
	}
	for i, segment := range want {
		switch {
		case segment == "+":
		case prefix && i == len(want)-1:
			if !strings.HasPrefix(got[i], segment) {
				return false
			}
		case segment != got[i]:
			return false
		}
	}
	return true
}
