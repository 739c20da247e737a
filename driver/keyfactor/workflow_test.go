package keyfactor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// TestSimRequestWorkflow: a request held for approval is reported pending, then issued with its
// certificate and chain once approved; a denied one carries the approver's comment; DenyRequest
// denies in Command; an unknown id is a 404.
func TestSimRequestWorkflow(t *testing.T) {
	t.Parallel()
	for _, profile := range allProfiles {
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile, nil)
			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			ctx := context.Background()
			hold := func(cn string) (*cadriver.SignRequest, string) {
				req := signRequest(t, cn)
				req.Template = commandtest.ApprovalTemplate
				_, err := d.Sign(ctx, req)
				var pe *cadriver.PendingApprovalError
				if !errors.As(err, &pe) {
					t.Fatalf("want a held request, got %v", err)
				}
				return req, pe.RequestID
			}
			check := func(req *cadriver.SignRequest, id string) *cadriver.RequestStatus {
				st, err := d.CheckRequest(ctx, &cadriver.RequestQuery{RequestID: id, CSR: req.CSR})
				if err != nil {
					t.Fatalf("check %s: %v", id, err)
				}
				return st
			}

			req, id := hold("held.example.com")
			if st := check(req, id); st.State != cadriver.RequestPending || st.Issued != nil || st.Requester == "" {
				t.Fatalf("held request: %+v", st)
			}
			n, _ := strconv.Atoi(id)
			if err := srv.ApproveRequest(n); err != nil {
				t.Fatal(err)
			}
			st := check(req, id)
			if st.State != cadriver.RequestIssued || st.Issued == nil {
				t.Fatalf("approved request: %+v", st)
			}
			verifyIssued(t, srv, st.Issued)
			if st.Issued.Certificate.Subject.CommonName != "held.example.com" || st.Issued.CertificateID == "" || len(st.Issued.Chain) == 0 {
				t.Fatalf("issued: cn %q id %q chain %d", st.Issued.Certificate.Subject.CommonName, st.Issued.CertificateID, len(st.Issued.Chain))
			}

			req2, id2 := hold("denied.example.com")
			n2, _ := strconv.Atoi(id2)
			if err := srv.DenyRequest(n2, "no wildcard hosts"); err != nil {
				t.Fatal(err)
			}
			if st := check(req2, id2); st.State != cadriver.RequestDenied || st.Message != "no wildcard hosts" {
				t.Fatalf("denied request: %+v", st)
			}

			req3, id3 := hold("forgotten.example.com")
			if err := d.DenyRequest(ctx, id3, "forgotten in Vault"); err != nil {
				t.Fatalf("deny: %v", err)
			}
			if st := check(req3, id3); st.State != cadriver.RequestDenied || st.Message != "forgotten in Vault" {
				t.Fatalf("request denied through the driver: %+v", st)
			}
			if err := d.DenyRequest(ctx, id3, "again"); cadriver.StatusOf(err, 0) != http.StatusBadRequest {
				t.Fatalf("denying a denied request: %v", err)
			}

			_, err := d.CheckRequest(ctx, &cadriver.RequestQuery{RequestID: "999999"})
			if cadriver.StatusOf(err, 0) != http.StatusNotFound {
				t.Fatalf("unknown request: want 404, got %v", err)
			}
			if _, err := d.CheckRequest(ctx, &cadriver.RequestQuery{RequestID: "../x"}); cadriver.StatusOf(err, 0) != http.StatusBadRequest {
				t.Fatalf("malformed id: want 400, got %v", err)
			}
		})
	}
}
