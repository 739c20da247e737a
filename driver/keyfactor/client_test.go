package keyfactor

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// dropConnection closes the connection after the request was read, without answering.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestRetryRules(t *testing.T) {
	csr := newCSR(t, newKey(t), "a.example.com")
	cases := []struct {
		name      string
		fault     func(t *testing.T, w http.ResponseWriter) // applied to the first request only
		enroll    bool
		wantCalls int32
		wantOK    bool
		wantText  string
	}{
		{"read retried after 503 with Retry-After", func(t *testing.T, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, false, 2, true, ""},
		{"read retried after 429", func(t *testing.T, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		}, false, 2, true, ""},
		{"read retried after dropped connection", dropConnection, false, 2, true, ""},
		{"read not retried after 500", func(t *testing.T, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }, false, 1, false, "HTTP 500"},
		{"enrollment not retried after 503", func(t *testing.T, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, true, 1, false, "HTTP 503"},
		{"enrollment not retried after dropped connection", dropConnection, true, 1, false, "may have processed it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					tc.fault(t, w)
					return
				}
				_, _ = io.WriteString(w, `["GET /Status/Endpoints"]`)
			}, nil)
			var err error
			if tc.enroll {
				_, err = d.Sign(context.Background(), &cadriver.SignRequest{CSR: csr})
			} else {
				_, err = d.callJSON(context.Background(), apiCall{method: http.MethodGet, path: []string{"Status", "Endpoints"}, readOnly: true}, errorPolicy{}, &[]string{})
			}
			if (err == nil) != tc.wantOK {
				t.Fatalf("err = %v, want ok=%v", err, tc.wantOK)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q lacks %q", err, tc.wantText)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("%d requests reached the server, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestTimeoutIsReportedAsGatewayTimeout(t *testing.T) {
	release := make(chan struct{})
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, map[string]interface{}{"timeout": "200ms"})
	defer close(release)
	csr := newCSR(t, newKey(t), "a.example.com")
	_, err := d.Sign(context.Background(), &cadriver.SignRequest{CSR: csr})
	var ue *cadriver.UnavailableError
	if !errors.As(err, &ue) || !ue.Timeout || ue.StatusCode() != http.StatusGatewayTimeout {
		t.Fatalf("want a timeout UnavailableError, got %#v", err)
	}
	if !strings.Contains(err.Error(), "200ms") || !strings.Contains(err.Error(), "check its inventory") {
		t.Errorf("timeout error %q should name the limit and the risk of a completed enrollment", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = d.CAChain(ctx, "")
	if !errors.As(err, &ue) || ue.Timeout {
		t.Errorf("cancelled context: want a non-timeout UnavailableError, got %v", err)
	}
}

func TestUnreachableCommand(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more
	d, _, err := NewProvider().NewDriver(configJSON(basicConf(map[string]interface{}{"url": addr})))
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Sign(context.Background(), &cadriver.SignRequest{CSR: newCSR(t, newKey(t), "a.example.com")})
	var ue *cadriver.UnavailableError
	if !errors.As(err, &ue) || ue.StatusCode() != http.StatusServiceUnavailable || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("want 503 UnavailableError naming the cause, got %v", err)
	}
}

// fakeIdP is an OAuth token endpoint that counts requests and records the form it received.
type fakeIdP struct {
	issued   atomic.Int32
	lastForm atomic.Value
	secret   string
}

func (f *fakeIdP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.lastForm.Store(r.PostForm.Encode())
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != "vault" || secret != f.secret {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"bad secret `+secret+`"}`)
		return
	}
	n := f.issued.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"access_token": "tok-" + string(rune('0'+n)), "token_type": "Bearer", "expires_in": 3600})
}

func TestOAuthTokenReuseAndRenewal(t *testing.T) {
	idp := &fakeIdP{secret: "s3cret-value"}
	idpSrv := httptest.NewServer(idp)
	defer idpSrv.Close()
	var rejectNext atomic.Int32
	var seen atomic.Value
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
		if rejectNext.Load() > 0 {
			rejectNext.Add(-1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `[]`)
	}, map[string]interface{}{
		"username": nil, "password": nil, "domain": nil,
		"client_id": "vault", "client_secret": "s3cret-value", "token_url": idpSrv.URL + "/token",
		"scopes": "a,b", "audience": "https://command/api",
	})
	endpoints := func() error {
		_, err := d.callJSON(context.Background(), apiCall{method: http.MethodGet, path: []string{"Status", "Endpoints"}, readOnly: true}, errorPolicy{}, &[]string{})
		return err
	}
	for i := 0; i < 5; i++ {
		if err := endpoints(); err != nil {
			t.Fatal(err)
		}
	}
	if idp.issued.Load() != 1 || seen.Load() != "Bearer tok-1" {
		t.Errorf("5 calls used %d tokens (last header %v), want 1", idp.issued.Load(), seen.Load())
	}
	form, _ := idp.lastForm.Load().(string)
	if !strings.Contains(form, "scope=a+b") || !strings.Contains(form, "audience=https") || !strings.Contains(form, "grant_type=client_credentials") {
		t.Errorf("token request form %q lacks scope, audience or grant type", form)
	}

	rejectNext.Store(1) // token revoked at Command: one renewal, one retry
	if err := endpoints(); err != nil {
		t.Fatalf("after one 401: %v", err)
	}
	if idp.issued.Load() != 2 || seen.Load() != "Bearer tok-2" {
		t.Errorf("after a 401: %d tokens issued (header %v), want 2", idp.issued.Load(), seen.Load())
	}

	rejectNext.Store(5) // every token refused: exactly one renewal, then the 401 is reported
	err := endpoints()
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("want the 401 reported, got %v", err)
	}
	if idp.issued.Load() != 3 {
		t.Errorf("persistent 401: %d tokens issued, want 3 (one renewal)", idp.issued.Load())
	}

	idp.secret = "rotated" // the IdP no longer accepts the configured secret
	d.auth.(*oauthTokens).forget()
	err = endpoints()
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "s3cret-value") {
		t.Errorf("wrong secret: want invalid_client without the secret, got %v", err)
	}
}

func TestCloseKeepsRunningRequests(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, `[]`)
	}, nil)
	done := make(chan error, 1)
	go func() {
		_, err := d.callJSON(context.Background(), apiCall{method: http.MethodGet, path: []string{"Status", "Endpoints"}, readOnly: true}, errorPolicy{}, &[]string{})
		done <- err
	}()
	<-started
	d.Close()
	close(release)
	if err := <-done; err != nil {
		t.Errorf("request running during Close failed: %v", err)
	}
}
