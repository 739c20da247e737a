package keyfactor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

func TestRevokeAnswers(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		body        string
		wantPending bool
		wantErr     string
	}{
		{"200 revoked", 200, `{"RevokedIds":[5],"SuspendedCerts":null}`, false, ""},
		{"204 legacy", 204, ``, false, ""},
		{"200 empty body", 200, ``, false, ""},
		{"suspended for approval", 200, `{"RevokedIds":[],"SuspendedCerts":[{"CertId":5,"WorkflowId":"u","Message":"needs approval"}]}`, true, ""},
		{"not in answer", 200, `{"RevokedIds":[6],"SuspendedCerts":[]}`, false, "did not confirm"},
		{"400 from Command", 400, `{"ErrorCode":"0xA0","Message":"Certificate already revoked"}`, false, "already revoked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got revokeRequest
			d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/KeyfactorAPI/Certificates/Revoke" || r.Method != http.MethodPost {
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
				_ = json.NewDecoder(r.Body).Decode(&got)
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}, nil)
			resp, err := d.Revoke(context.Background(), &cadriver.RevokeRequest{CertificateID: "5"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Pending != tc.wantPending || (!tc.wantPending && resp.RevokedAt.IsZero()) {
				t.Errorf("response %+v", resp)
			}
			if tc.wantPending && !strings.Contains(resp.Message, "needs approval") {
				t.Errorf("pending message %q", resp.Message)
			}
			if len(got.CertificateIDs) != 1 || got.CertificateIDs[0] != 5 || got.Reason != 0 || got.Comment != revokeComment {
				t.Errorf("request %+v", got)
			}
			if _, err := time.Parse("2006-01-02T15:04:05.000Z", got.EffectiveDate); err != nil {
				t.Errorf("EffectiveDate %q: %v", got.EffectiveDate, err)
			}
		})
	}
}

func TestRevokeRejectsBadInputWithoutCalling(t *testing.T) {
	var calls atomic.Int32
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }, nil)
	for _, req := range []*cadriver.RevokeRequest{
		nil,
		{CertificateID: "abc"},
		{CertificateID: "-3"},
		{},
	} {
		_, err := d.Revoke(context.Background(), req)
		if !hasStatus(err, http.StatusBadRequest) {
			t.Errorf("Revoke(%+v) = %v, want ValidationError", req, err)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("%d calls reached Command", calls.Load())
	}
}

func TestLookupBySerialAndIssuer(t *testing.T) {
	pki := newTestPKI(t)
	leaf := pki.leaf(t, newKey(t).Public(), "a.example.com", 0x0abc)
	var revoked atomic.Int64
	var mu sync.Mutex
	var queries []string
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/KeyfactorAPI/Certificates":
			q := r.URL.Query()
			mu.Lock()
			queries = append(queries, q.Get("pq.queryString"))
			mu.Unlock()
			if q.Get("pq.includeRevoked") != "true" || q.Get("pq.includeExpired") != "true" {
				t.Errorf("lookup must include revoked and expired: %v", q)
			}
			if !strings.Contains(q.Get("pq.queryString"), `"0ABC"`) {
				_, _ = io.WriteString(w, `[]`)
				return
			}
			// Same serial from another CA first: the issuer decides.
			fmt.Fprintf(w, `[{"Id":8,"SerialNumber":"0ABC","IssuerDN":"CN=Other CA"},
				{"Id":9,"SerialNumber":"0ABC","IssuerDN":"CN=Test Issuing","CertState":2,"RevocationEffDate":"2025-01-02T03:04:05Z","RevocationReason":1}]`)
		case "/KeyfactorAPI/Certificates/Revoke":
			var body revokeRequest
			_ = json.NewDecoder(r.Body).Decode(&body)
			revoked.Store(body.CertificateIDs[0])
			w.WriteHeader(http.StatusNoContent)
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	}, nil)
	if _, err := d.Revoke(context.Background(), &cadriver.RevokeRequest{Certificate: leaf}); err != nil {
		t.Fatal(err)
	}
	if revoked.Load() != 9 {
		t.Errorf("revoked id %d, want 9 (the one issued by the leaf's issuer)", revoked.Load())
	}
	st, err := d.stateInCommand(context.Background(), "", leaf)
	if err != nil || !st.revoked || st.reason != 1 || !st.revokedAt.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("state %+v, %v", st, err)
	}
	other := pki.leaf(t, newKey(t).Public(), "b.example.com", 0x0def)
	_, err = d.Revoke(context.Background(), &cadriver.RevokeRequest{Certificate: other})
	if !hasStatus(err, http.StatusNotFound) || !strings.Contains(err.Error(), "0DEF") {
		t.Errorf("unknown serial: %v, want NotFoundError naming the serial", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(queries) == 0 || queries[0] != `SerialNumber -eq "0ABC"` {
		t.Errorf("queries %q", queries)
	}
}
