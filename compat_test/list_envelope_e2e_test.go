package compattest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
)

// LIST certs/ is what scripts and operators run against a mount with many records, and the
// plugin answers it from its own index (pkicompat/certindex.go; large answers leave pre-encoded,
// pkicompat/packedserials.go, held to the same bytes in-process). These checks hold the whole HTTP answer to native's on a real
// Vault, beyond the data keys the side-by-side transcript compares: envelope keys and kinds,
// request id, mount type, headers, the encoder's closing newline, over the forms clients send
// (LIST and GET ?list=true, with an unknown parameter, the vault CLI, response-wrapped then
// unwrapped).

// listAnswer is one LIST answer as an HTTP client receives it.
type listAnswer struct {
	status       int
	contentType  string
	cacheControl string
	body         []byte
	top          map[string]json.RawMessage
}

// listForms are the HTTP requests that list certs/, relative to a mount.
var listForms = []struct {
	name, method string
	query        url.Values
}{
	{"LIST", "LIST", nil},
	{"GET ?list=true", http.MethodGet, url.Values{"list": {"true"}}},
	{"LIST with an unknown parameter", "LIST", url.Values{"color": {"blue"}}},
}

// uuidPattern is a request id as Vault makes them.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func checkListAnswers(t *testing.T, env *realvault.Env, nativeMount, pluginMount string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, form := range listForms {
		native := sendList(ctx, t, env, nativeMount+"/certs", form.method, form.query, "")
		plugin := sendList(ctx, t, env, pluginMount+"/certs", form.method, form.query, "")
		for _, a := range []struct {
			label, mount string
			answer       *listAnswer
		}{{"native " + nativeMount, nativeMount, native}, {"plugin " + pluginMount, pluginMount, plugin}} {
			checkListEnvelope(t, env, form.name+", "+a.label, a.mount, a.answer)
		}
		if native.contentType != plugin.contentType || native.cacheControl != plugin.cacheControl {
			t.Errorf("%s: headers Content-Type %q Cache-Control %q, native's %q %q", form.name,
				plugin.contentType, plugin.cacheControl, native.contentType, native.cacheControl)
		}
		if got, want := envelopeShape(plugin.top), envelopeShape(native.top); got != want {
			t.Errorf("%s: envelope %s, native's %s", form.name, got, want)
		}
		if got, want := string(plugin.top["warnings"]), string(native.top["warnings"]); got != want {
			t.Errorf("%s: warnings %s, native's %s", form.name, got, want)
		}
	}

	// Response-wrapped over HTTP, for each list both engines answer: the same wrapping envelope,
	// and unwrapping gives the listing's own answer (Vault stores it as JSON in the token's
	// cubbyhole and writes it back).
	for _, path := range []string{"certs", "roles", "issuers"} {
		var wrappedShapes, unwrappedShapes []string
		for _, mount := range []string{nativeMount, pluginMount} {
			label := "LIST " + mount + "/" + path
			plain := sendList(ctx, t, env, mount+"/"+path, "LIST", nil, "")
			wrapped := sendList(ctx, t, env, mount+"/"+path, "LIST", nil, "5m")
			var info struct {
				Token        string `json:"token"`
				CreationPath string `json:"creation_path"`
			}
			if wrapped.status != http.StatusOK || json.Unmarshal(wrapped.top["wrap_info"], &info) != nil || info.Token == "" {
				t.Errorf("%s, wrapped: %d %s", label, wrapped.status, truncate(string(wrapped.body), 300))
				continue
			}
			if info.CreationPath != mount+"/"+path+"/" {
				t.Errorf("%s, wrapped: creation_path %q", label, info.CreationPath)
			}
			unwrapped := unwrap(ctx, t, env, info.Token)
			if unwrapped.status != http.StatusOK || unwrapped.contentType != "application/json" {
				t.Errorf("%s, unwrapped: %d %q %s", label, unwrapped.status, unwrapped.contentType, truncate(string(unwrapped.body), 300))
				continue
			}
			for _, field := range []string{"data", "mount_type", "warnings"} {
				if got, want := string(unwrapped.top[field]), string(plain.top[field]); got != want {
					t.Errorf("%s, unwrapped: %s %s, the listing's %s", label, field, truncate(got, 200), truncate(want, 200))
				}
			}
			wrappedShapes = append(wrappedShapes, envelopeShape(wrapped.top))
			unwrappedShapes = append(unwrappedShapes, envelopeShape(unwrapped.top))
		}
		if len(wrappedShapes) == 2 && (wrappedShapes[0] != wrappedShapes[1] || unwrappedShapes[0] != unwrappedShapes[1]) {
			t.Errorf("LIST %s wrapped: plugin's envelope %s, unwrapped %s; native's %s, %s", path,
				wrappedShapes[1], unwrappedShapes[1], wrappedShapes[0], unwrappedShapes[0])
		}
	}

	// The vault CLI, plain and response-wrapped: unwrapping gives the same keys.
	for _, mount := range []string{nativeMount, pluginMount} {
		var listed []string
		mustVaultJSON(t, env, &listed, "list", mount+"/certs")
		if len(listed) == 0 {
			t.Errorf("vault list %s/certs: no keys", mount)
			continue
		}
		var wrapped struct {
			WrapInfo struct {
				Token string `json:"token"`
			} `json:"wrap_info"`
		}
		mustVaultJSON(t, env, &wrapped, "list", "-wrap-ttl=5m", mount+"/certs")
		if wrapped.WrapInfo.Token == "" {
			t.Errorf("vault list -wrap-ttl %s/certs: no wrapping token", mount)
			continue
		}
		// The CLI prints an unwrapped list as it prints a list: the keys.
		var unwrapped []string
		mustVaultJSON(t, env, &unwrapped, "unwrap", wrapped.WrapInfo.Token)
		if !slices.Equal(unwrapped, listed) {
			t.Errorf("%s/certs: unwrapped keys %v, listed %v", mount, unwrapped, listed)
		}
	}
}

// sendList sends one request to path with the root token, asking for the answer to be wrapped
// for wrapTTL unless it is empty, and reads the answer.
func sendList(ctx context.Context, t *testing.T, env *realvault.Env, path, method string, query url.Values, wrapTTL string) *listAnswer {
	t.Helper()
	req := vaultRequest(ctx, t, env, method, path, query, env.Token)
	if wrapTTL != "" {
		req.Header.Set("X-Vault-Wrap-TTL", wrapTTL)
	}
	return readListAnswer(t, req)
}

// unwrap sends sys/wrapping/unwrap with the wrapping token as the request's token, as
// `vault unwrap` does.
func unwrap(ctx context.Context, t *testing.T, env *realvault.Env, token string) *listAnswer {
	t.Helper()
	return readListAnswer(t, vaultRequest(ctx, t, env, http.MethodPost, "sys/wrapping/unwrap", nil, token))
}

// vaultRequest is a request to Vault's API at /v1/<path>?<query> with token.
func vaultRequest(ctx context.Context, t *testing.T, env *realvault.Env, method, path string, query url.Values, token string) *http.Request {
	t.Helper()
	u, err := url.Parse(env.Addr)
	if err != nil {
		t.Fatal(err)
	}
	u = u.JoinPath("v1", path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", token)
	return req
}

func readListAnswer(t *testing.T, req *http.Request) *listAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	a := &listAnswer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"),
		cacheControl: resp.Header.Get("Cache-Control"), body: body}
	if err := json.Unmarshal(body, &a.top); err != nil {
		t.Errorf("%s %s: answer is not a JSON object (%v): %s", req.Method, req.URL, err, truncate(string(body), 200))
	}
	return a
}

// checkListEnvelope holds one answer to what Vault's HTTP layer writes for a list: 200, JSON,
// Vault's envelope with this request's id and the mount's type, the keys as an array of strings,
// and the encoder's closing newline.
func checkListEnvelope(t *testing.T, env *realvault.Env, label, mount string, a *listAnswer) {
	t.Helper()
	if a.status != http.StatusOK || a.contentType != "application/json" {
		t.Errorf("%s: status %d, content type %q, want 200 application/json", label, a.status, a.contentType)
	}
	if !strings.HasSuffix(string(a.body), "}\n") {
		t.Errorf("%s: body does not end as json.Encoder ends it: %q", label, truncate(string(a.body[max(0, len(a.body)-20):]), 40))
	}
	var requestID, mountType string
	if json.Unmarshal(a.top["request_id"], &requestID) != nil || !uuidPattern.MatchString(requestID) {
		t.Errorf("%s: request_id %s is not a request id", label, a.top["request_id"])
	}
	wantType, err := env.MountType(mount)
	if err != nil {
		t.Fatal(err)
	}
	if json.Unmarshal(a.top["mount_type"], &mountType) != nil || mountType != wantType {
		t.Errorf("%s: mount_type %s, want %q", label, a.top["mount_type"], wantType)
	}
	var data map[string]interface{}
	if err := json.Unmarshal(a.top["data"], &data); err != nil || len(data) != 1 {
		t.Errorf("%s: data %s, want only keys", label, truncate(string(a.top["data"]), 200))
		return
	}
	keys, ok := data["keys"].([]interface{})
	if !ok || len(keys) == 0 {
		t.Errorf("%s: data.keys is %T, want a non-empty array", label, data["keys"])
		return
	}
	for _, k := range keys {
		if s, ok := k.(string); !ok || !colonSerial.MatchString(s) {
			t.Errorf("%s: key %v is not a colon-separated serial", label, k)
		}
	}
}

// colonSerial is a serial as LIST certs/ lists it.
var colonSerial = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2})*$`)

// envelopeShape is the envelope's top-level keys, sorted, with the JSON kind of each value.
func envelopeShape(top map[string]json.RawMessage) string {
	names := make([]string, 0, len(top))
	for k := range top {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s:%s ", k, jsonKind(top[k]))
	}
	return strings.TrimSpace(b.String())
}

// jsonKind names the kind of a JSON value from its first byte.
func jsonKind(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "absent"
	case s == "null":
		return "null"
	case s == "true" || s == "false":
		return "bool"
	case s[0] == '"':
		return "string"
	case s[0] == '{':
		return "object"
	case s[0] == '[':
		return "array"
	default:
		return "number"
	}
}
