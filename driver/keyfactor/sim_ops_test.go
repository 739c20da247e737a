package keyfactor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Each operation against each profile: sign, status, revoke by id and by serial, revocation
// listing, CA chain without prior issuance, CRL.
func TestSimOperations(t *testing.T) {
	t.Parallel()
	for _, profile := range allProfiles {
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile, nil, commandtest.WithSubjectHeader(profile == commandtest.Profile10))
			ctx := context.Background()
			since := time.Now().Add(-time.Minute)

			// A fresh driver asks for CA chains before anything was issued.
			fresh := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			for _, ca := range []string{"", commandtest.DefaultCALogicalName, commandtest.DefaultCAHost + `\` + commandtest.ECCALogicalName} {
				chain, err := fresh.CAChain(ctx, ca)
				if err != nil {
					t.Fatalf("CAChain(%q): %v", ca, err)
				}
				want := srv.CACertificate(logicalName(fresh.mustResolve(t, ca)))
				if len(chain) != 2 || !chain[0].Equal(want) || !chain[1].Equal(srv.RootCertificate()) {
					t.Errorf("CAChain(%q) = %v, want the CA then the root", ca, subjects(chain))
				}
			}
			_, err := fresh.CAChain(ctx, "No-Such-CA")
			if !hasStatus(err, http.StatusNotFound) {
				t.Errorf("unknown CA: %v, want NotFoundError", err)
			}

			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			req := signRequest(t, "ops.example.com")
			req.Metadata = map[string]string{commandtest.MetadataOwner: `team "quoted" \ x`}
			first, err := d.Sign(ctx, req)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			verifyIssued(t, srv, first)
			if first.CertificateID == "" || first.CA != commandtest.DefaultCAHost+`\`+commandtest.DefaultCALogicalName {
				t.Errorf("response id %q CA %q", first.CertificateID, first.CA)
			}
			ecResp, err := d.Sign(ctx, &cadriver.SignRequest{CSR: req.CSR, CA: commandtest.ECCALogicalName})
			if err != nil {
				t.Fatalf("Sign on the EC CA: %v", err)
			}
			if !ecResp.Chain[0].Equal(srv.CACertificate(commandtest.ECCALogicalName)) {
				t.Errorf("EC chain %v", subjects(ecResp.Chain))
			}

			st, err := d.stateInCommand(ctx, first.CertificateID, nil)
			if err != nil || st.revoked {
				t.Fatalf("status of a fresh certificate: %+v, %v", st, err)
			}

			rev, err := d.Revoke(ctx, &cadriver.RevokeRequest{CertificateID: first.CertificateID})
			if err != nil || rev.Pending || rev.RevokedAt.IsZero() {
				t.Fatalf("Revoke by id: %+v, %v", rev, err)
			}
			st, err = d.stateInCommand(ctx, first.CertificateID, nil)
			if err != nil || !st.revoked || st.reason != 0 || st.revokedAt.IsZero() {
				t.Errorf("status after revoke: %+v, %v", st, err)
			}

			second, err := d.Sign(ctx, signRequest(t, "ops2.example.com"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Revoke(ctx, &cadriver.RevokeRequest{Certificate: second.Certificate}); err != nil {
				t.Fatalf("Revoke by serial: %v", err)
			}
			st, err = d.stateInCommand(ctx, "", second.Certificate)
			if err != nil || !st.revoked || st.reason != 0 {
				t.Errorf("status by serial: %+v, %v", st, err)
			}

			listed, err := d.RevokedSince(ctx, "", since)
			if err != nil {
				t.Fatal(err)
			}
			found := map[string]bool{}
			for _, r := range listed {
				found[r.SerialNumber.String()] = true
			}
			for _, c := range []*x509.Certificate{first.Certificate, second.Certificate} {
				if !found[c.SerialNumber.String()] {
					t.Errorf("RevokedSince lacks %s (got %v)", c.SerialNumber, listed)
				}
			}
			if later, err := d.RevokedSince(ctx, "", time.Now().Add(time.Hour)); err != nil || len(later) != 0 {
				t.Errorf("RevokedSince(future) = %v, %v; want none", later, err)
			}

			for _, drv := range []*keyfactorDriver{d, simDriver(t, simConf(srv, authKindBasic, nil, nil))} {
				der, err := drv.CRL(ctx, "")
				if err != nil {
					t.Fatalf("CRL: %v", err)
				}
				crl, err := x509.ParseRevocationList(der)
				if err != nil {
					t.Fatal(err)
				}
				if err := crl.CheckSignatureFrom(srv.CACertificate(commandtest.DefaultCALogicalName)); err != nil {
					t.Errorf("CRL not signed by the issuing CA: %v", err)
				}
				listedOnCRL := map[string]bool{}
				for _, e := range crl.RevokedCertificateEntries {
					listedOnCRL[e.SerialNumber.String()] = true
				}
				if !listedOnCRL[first.Certificate.SerialNumber.String()] || !listedOnCRL[second.Certificate.SerialNumber.String()] {
					t.Errorf("CRL lacks the revoked serials")
				}
			}
			// The EC CA has a CRL too, found without any certificate of it in memory.
			if _, err := simDriver(t, simConf(srv, authKindBasic, nil, nil)).CRL(ctx, commandtest.ECCALogicalName); err != nil {
				t.Errorf("CRL of the EC CA: %v", err)
			}
		})
	}
}

func (d *keyfactorDriver) mustResolve(t *testing.T, ca string) string {
	t.Helper()
	name, err := d.resolveCA(ca)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func TestSimCommandErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		req    func(*cadriver.SignRequest)
		status int
		want   []string
	}{
		{"unknown template", func(r *cadriver.SignRequest) { r.Template = "NoSuchTemplate" }, 400, []string{"HTTP 400", "ErrorCode"}},
		{"template without CSR enrollment", func(r *cadriver.SignRequest) { r.Template = commandtest.PFXOnlyTemplate }, 400, []string{"HTTP 400"}},
		{"unknown CA", func(r *cadriver.SignRequest) { r.CA = `ca.kfpki.test\Nope` }, 400, []string{"HTTP 400"}},
		{"unknown metadata field", func(r *cadriver.SignRequest) { r.Metadata = map[string]string{"NoSuchField": "x"} }, 400, []string{"HTTP 400", "NoSuchField"}},
		{"bad metadata value", func(r *cadriver.SignRequest) {
			r.Metadata = map[string]string{commandtest.MetadataEnvironment: "moon"}
		}, 400, []string{"HTTP 400"}},
	}
	for _, profile := range allProfiles {
		srv := startSim(t, profile, nil)
		d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
		for _, tc := range cases {
			t.Run(fmt.Sprintf("v%d/%s", profile, tc.name), func(t *testing.T) {
				req := signRequest(t, "err.example.com")
				tc.req(req)
				_, err := d.Sign(context.Background(), req)
				var ce *CommandError
				if !errors.As(err, &ce) || ce.StatusCode() != tc.status || ce.ErrorCode == "" || ce.Message == "" {
					t.Fatalf("want CommandError %d with ErrorCode and Message, got %#v", tc.status, err)
				}
				if tc.status == 400 && !hasStatus(err, http.StatusBadRequest) {
					t.Errorf("400 is not a ValidationError: %v", err)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
			})
		}
	}
}

func TestSimDispositions(t *testing.T) {
	t.Parallel()
	for _, profile := range allProfiles {
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile, nil)
			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			ctx := context.Background()

			req := signRequest(t, "approval.example.com")
			req.Template = commandtest.ApprovalTemplate
			_, err := d.Sign(ctx, req)
			var pe *cadriver.PendingApprovalError
			if !errors.As(err, &pe) || pe.RequestID == "" || pe.RequestID == "0" {
				t.Fatalf("approval template: want PendingApprovalError with a request id, got %v", err)
			}

			for _, disposition := range []string{"PENDING", "DENIED", "FAILED"} {
				srv.InjectFault(commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: 1, Disposition: disposition})
				_, err := d.Sign(ctx, signRequest(t, "dispo.example.com"))
				var sc cadriver.StatusCoder
				if err == nil || !errors.As(err, &sc) {
					t.Fatalf("%s: want an error with a status, got %v", disposition, err)
				}
				want := map[string]int{"PENDING": 409, "DENIED": 400, "FAILED": 502}[disposition]
				if sc.StatusCode() != want {
					t.Errorf("%s: status %d, want %d (%v)", disposition, sc.StatusCode(), want, err)
				}
			}
		})
	}
}

func TestSimCheckConnection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		overrides map[string]interface{}
		wantErr   string
		wantWarn  string
	}{
		{"good", nil, "", ""},
		{"logical CA name", map[string]interface{}{"ca": commandtest.DefaultCALogicalName}, "", ""},
		{"unknown template", map[string]interface{}{"template": "NoSuchTemplate"}, `template "NoSuchTemplate" does not exist`, ""},
		{"CSR disabled", map[string]interface{}{"template": commandtest.PFXOnlyTemplate}, "does not allow CSR enrollment", ""},
		{"unknown CA", map[string]interface{}{"ca": `ca.kfpki.test\Nope`}, "Nope", ""},
		{"approval template", map[string]interface{}{"template": commandtest.ApprovalTemplate}, "", "requires approval"},
		{"wrong password", map[string]interface{}{"password": "nope-nope"}, "HTTP 401", ""},
		{"read-only user", map[string]interface{}{"username": commandtest.ReadOnlyUsername, "password": commandtest.ReadOnlyPassword}, "not available for CSR enrollment", ""},
	}
	for _, profile := range allProfiles {
		srv := startSim(t, profile, nil)
		for _, tc := range cases {
			t.Run(fmt.Sprintf("v%d/%s", profile, tc.name), func(t *testing.T) {
				d := simDriver(t, simConf(srv, authKindBasic, nil, tc.overrides))
				warnings, err := d.CheckConnection(context.Background())
				if tc.wantErr == "" && err != nil {
					t.Fatalf("CheckConnection: %v", err)
				}
				if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
					t.Fatalf("want error naming %q, got %v", tc.wantErr, err)
				}
				joined := strings.Join(warnings, "\n")
				if tc.wantWarn != "" && !strings.Contains(joined, tc.wantWarn) {
					t.Errorf("warnings %q lack %q", joined, tc.wantWarn)
				}
				if tc.wantWarn == "" && tc.wantErr == "" && joined != "" {
					t.Errorf("unexpected warnings %q", joined)
				}
			})
		}
	}
}

// TestSimCRLReflectsRevocationAtOnce: a CRL cached before a revocation must not hide it. Native
// PKI rebuilds its CRL on revoke, so clients revoke and then read crl/ expecting the serial.
func TestSimCRLReflectsRevocationAtOnce(t *testing.T) {
	t.Parallel()
	srv := startSim(t, commandtest.Profile25, nil)
	ctx := context.Background()
	d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
	signed, err := d.Sign(ctx, signRequest(t, "crl-fresh.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	onCRL := func() bool {
		t.Helper()
		der, err := d.CRL(ctx, "")
		if err != nil {
			t.Fatalf("CRL: %v", err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(signed.Certificate.SerialNumber) == 0 {
				return true
			}
		}
		return false
	}
	if onCRL() {
		t.Fatal("a fresh certificate is on the CRL")
	}
	if _, err := d.Revoke(ctx, &cadriver.RevokeRequest{CertificateID: signed.CertificateID}); err != nil {
		t.Fatal(err)
	}
	if !onCRL() {
		t.Fatal("the CRL read right after the revocation does not list it: a stale cached CRL was served")
	}
}
