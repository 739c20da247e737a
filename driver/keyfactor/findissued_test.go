package keyfactor

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// TestFindIssuedAfterTimeout: Command answers an enrollment after the driver's timeout but
// issues the certificate anyway; FindIssued finds exactly that certificate by its key, for every
// Command version the simulator models, and reports it revoked once it is.
func TestFindIssuedAfterTimeout(t *testing.T) {
	for _, profile := range allProfiles {
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			srv := startSim(t, profile, nil)
			// Only the enrollment meant to time out goes through the 1 s driver: under a loaded
			// machine the other calls may take longer than that, and they are not what is tested.
			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			impatient := simDriver(t, simConf(srv, authKindBasic, nil, map[string]interface{}{"timeout": "1s"}))
			ctx := context.Background()
			since := time.Now().Add(-time.Hour)

			// Another certificate with the same CN, delivered normally: not the one looked for.
			if _, err := d.Sign(ctx, signRequest(t, "lost.example.com")); err != nil {
				t.Fatal(err)
			}
			srv.InjectFault(commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: 1, AnswerLatency: 2 * time.Second})
			req := signRequest(t, "lost.example.com")
			_, err := impatient.Sign(ctx, req)
			var sc cadriver.StatusCoder
			if err == nil || !errors.As(err, &sc) || sc.StatusCode() != http.StatusGatewayTimeout {
				t.Fatalf("want a 504 timeout, got %v", err)
			}
			waitFor(t, func() bool { return srv.Counters().Enrollments == 2 })

			hash := sha256.Sum256(req.CSR.RawSubjectPublicKeyInfo)
			query := &cadriver.IssuedQuery{Since: since, Until: time.Now().Add(time.Minute), PublicKeySHA256: hash[:], CommonName: "lost.example.com"}
			found, err := d.FindIssued(ctx, query)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 || string(found[0].Certificate.RawSubjectPublicKeyInfo) != string(req.CSR.RawSubjectPublicKeyInfo) || found[0].Revoked || found[0].CertificateID == "" {
				t.Fatalf("found %+v, want the one certificate for the timed-out key", found)
			}

			// Without a CN the window and the key still find it; outside the window nothing.
			query.CommonName = ""
			if again, err := d.FindIssued(ctx, query); err != nil || len(again) != 1 {
				t.Fatalf("search without CN: %d found, %v", len(again), err)
			}
			early := *query
			early.Since, early.Until = since.Add(-2*time.Hour), since.Add(-time.Hour)
			if none, err := d.FindIssued(ctx, &early); err != nil || len(none) != 0 {
				t.Fatalf("search before the issuance: %d found, %v", len(none), err)
			}

			if _, err := d.Revoke(ctx, &cadriver.RevokeRequest{CertificateID: found[0].CertificateID, Reason: 4, Comment: "test"}); err != nil {
				t.Fatal(err)
			}
			if revoked, err := d.FindIssued(ctx, query); err != nil || len(revoked) != 1 || !revoked[0].Revoked {
				t.Fatalf("after revocation: %+v, %v", revoked, err)
			}
		})
	}
}

// TestFindIssuedFallsBackWithoutIssuedDate: a Command that refuses IssuedDate in PQL (400) is
// searched by CA and CN alone and the window applied locally.
func TestFindIssuedFallsBackWithoutIssuedDate(t *testing.T) {
	pki := newTestPKI(t)
	key := newKey(t)
	leaf := pki.leaf(t, key.Public(), "a.example.com", 77)
	var mu sync.Mutex
	var queries []string
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("pq.queryString")
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
		if strings.Contains(q, "IssuedDate") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"ErrorCode":"0xA0110000","Message":"Invalid field IssuedDate"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(mustJSON(t, []interface{}{map[string]interface{}{
			"Id": 5, "SerialNumber": "4D", "CertState": 1, "NotBefore": leaf.NotBefore.UTC().Format(time.RFC3339),
			"ContentBytes": leaf.Raw,
		}}))
	}, nil)
	hash := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	found, err := d.FindIssued(context.Background(), &cadriver.IssuedQuery{
		Since: time.Now().Add(-2 * time.Hour), Until: time.Now().Add(time.Hour), PublicKeySHA256: hash[:], CommonName: "a.example.com",
	})
	if err != nil || len(found) != 1 || found[0].CertificateID != "5" {
		t.Fatalf("found %+v, %v", found, err)
	}
	if len(queries) != 2 || !strings.Contains(queries[0], `IssuedDate -ge "`) || strings.Contains(queries[1], "IssuedDate") ||
		!strings.Contains(queries[1], `IssuedCN -eq "a.example.com"`) {
		t.Fatalf("queries sent: %q", queries)
	}
}

// waitFor polls cond for up to 20 seconds; the simulator completes held enrollments on its own
// goroutine.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNotIssued: only Command's 4xx refusals say that an enrollment issued nothing; a 5xx or a
// broken 200 answer leaves the outcome unknown, so pkicompat keeps its intent.
func TestNotIssued(t *testing.T) {
	for status, want := range map[int]bool{400: true, 401: true, 403: true, 404: true, 200: false, 500: false, 502: false, 503: false} {
		if got := (&CommandError{HTTPStatus: status}).NotIssued(); got != want {
			t.Errorf("HTTP %d: NotIssued %v, want %v", status, got, want)
		}
	}
}
