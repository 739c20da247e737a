package keyfactor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// No injected fault makes the driver send an enrollment twice: the simulator's enrollment
// request counter stays at one whatever goes wrong after the body was sent.
func TestSimNoSecondEnrollment(t *testing.T) {
	t.Parallel()
	faults := []struct {
		name       string
		fault      commandtest.Fault
		wantStatus int
	}{
		{"500", commandtest.Fault{Status: 500, Body: `{"ErrorCode":"0xA0000001","Message":"Internal error"}`}, 502},
		{"502", commandtest.Fault{Status: 502, Body: "Bad Gateway"}, 502},
		{"503 with Retry-After", commandtest.Fault{Status: 503, Body: "busy"}, 503},
		{"429", commandtest.Fault{Status: 429}, 503},
		{"dropped connection", commandtest.Fault{DropConnection: true}, 503},
		{"garbage body", commandtest.Fault{GarbageBody: true}, 502},
		{"latency above the timeout", commandtest.Fault{Latency: 3 * time.Second}, 504},
	}
	for _, profile := range allProfiles {
		for _, proto := range httpProtocols {
			srv := startSim(t, profile, nil, proto.opts...)
			d := simDriver(t, simConf(srv, authKindBasic, nil, map[string]interface{}{"timeout": "1s"}))
			for _, tc := range faults {
				t.Run(fmt.Sprintf("v%d/%s/%s", profile, proto.name, tc.name), func(t *testing.T) {
					srv.ClearFaults()
					srv.ResetCounters()
					f := tc.fault
					f.Endpoint, f.Times = "POST /Enrollment/CSR", 5
					srv.InjectFault(f)
					_, err := d.Sign(context.Background(), signRequest(t, "fault.example.com"))
					var sc cadriver.StatusCoder
					if err == nil || !errors.As(err, &sc) || sc.StatusCode() != tc.wantStatus {
						t.Errorf("want an error with status %d, got %v", tc.wantStatus, err)
					}
					c := srv.Counters()
					if got := c.Requests["POST /Enrollment/CSR"]; got != 1 {
						t.Errorf("enrollment sent %d times, want exactly once", got)
					}
					if c.Enrollments > 1 {
						t.Errorf("%d enrollments", c.Enrollments)
					}
				})
			}
			srv.ClearFaults()
		}
	}
}

// A 401 is answered before Command processes anything, so with OAuth the driver renews the
// token and sends the enrollment once more: still a single certificate.
func TestSimEnrollmentRetriedOnlyAfter401(t *testing.T) {
	t.Parallel()
	for _, profile := range allProfiles[1:] {
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile, nil)
			d := simDriver(t, simConf(srv, authKindOAuth, nil, nil))
			srv.InjectFault(commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: 1, Status: http.StatusUnauthorized})
			if _, err := d.Sign(context.Background(), signRequest(t, "renew.example.com")); err != nil {
				t.Fatalf("Sign after one 401: %v", err)
			}
			c := srv.Counters()
			if c.Enrollments != 1 || c.Requests["POST /Enrollment/CSR"] != 2 || c.TokensIssued != 2 {
				t.Errorf("enrollments %d, enrollment requests %d, tokens %d; want 1, 2, 2", c.Enrollments, c.Requests["POST /Enrollment/CSR"], c.TokensIssued)
			}
		})
	}
}

// Reads are retried after transient failures; the caller sees the answer of the retry.
func TestSimReadRetries(t *testing.T) {
	t.Parallel()
	faults := []commandtest.Fault{
		{Status: http.StatusServiceUnavailable, Body: "busy"},
		{Status: http.StatusTooManyRequests},
		{DropConnection: true},
	}
	for _, profile := range allProfiles {
		for _, proto := range httpProtocols {
			for i, f := range faults {
				t.Run(fmt.Sprintf("v%d/%s/fault%d", profile, proto.name, i), func(t *testing.T) {
					t.Parallel()
					srv := startSim(t, profile, nil, proto.opts...)
					d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
					f.Endpoint, f.Times = "GET /Certificates", 1
					srv.InjectFault(f)
					chain, err := d.CAChain(context.Background(), "")
					if err != nil || len(chain) != 2 {
						t.Fatalf("CAChain after a transient fault: %v, %v", subjects(chain), err)
					}
					if got := srv.Counters().Requests["GET /Certificates"]; got < 2 {
						t.Errorf("search sent %d times, want a retry", got)
					}
				})
			}
		}
	}
}

// Latency above the timeout gives a timely 504 for reads too (no retry stretches it).
func TestSimReadTimeout(t *testing.T) {
	t.Parallel()
	srv := startSim(t, commandtest.Profile25, nil)
	d := simDriver(t, simConf(srv, authKindBasic, nil, map[string]interface{}{"timeout": "500ms"}))
	srv.InjectFault(commandtest.Fault{Endpoint: "GET /Status/Endpoints", Latency: 3 * time.Second})
	_, err := d.CheckConnection(context.Background())
	var ue *cadriver.UnavailableError
	if !errors.As(err, &ue) || !ue.Timeout {
		t.Fatalf("want a timeout, got %v", err)
	}
	if got := srv.Counters().Requests["GET /Status/Endpoints"]; got != 1 {
		t.Errorf("timed-out read sent %d times, want 1", got)
	}
}

// 1,000 sequential signings with OAuth reuse one token and one keep-alive connection. The
// figures are logged so they can be quoted.
func TestSimThousandSigningsReuseTokenAndConnection(t *testing.T) {
	t.Parallel()
	const signings = 1000
	srv := startSim(t, commandtest.Profile25, nil)
	d := simDriver(t, simConf(srv, authKindOAuth, nil, nil))
	req := signRequest(t, "bulk.example.com")
	ctx := context.Background()
	for i := 0; i < signings; i++ {
		if _, err := d.Sign(ctx, req); err != nil {
			t.Fatalf("signing %d: %v", i+1, err)
		}
	}
	c := srv.Counters()
	t.Logf("%d sequential OAuth signings: %d enrollments, %d token requests, %d TCP connections, %d enrollment requests",
		signings, c.Enrollments, c.TokensIssued, c.Connections, c.Requests["POST /Enrollment/CSR"])
	if c.Enrollments != signings || c.Requests["POST /Enrollment/CSR"] != signings {
		t.Errorf("enrollments %d (requests %d), want %d", c.Enrollments, c.Requests["POST /Enrollment/CSR"], signings)
	}
	if c.TokensIssued != 1 {
		t.Errorf("token requests %d, want 1", c.TokensIssued)
	}
	if c.Connections < 1 || c.Connections > 2 {
		t.Errorf("TCP connections %d, want 1 or 2 (keep-alive)", c.Connections)
	}
}

// TestSimEnrollmentRetriedAfterRefusedDial: a connection refused before any byte of the
// enrollment was written cannot have reached Command, so the driver retries it; the CA sees
// exactly one enrollment and the caller gets a certificate.
func TestSimEnrollmentRetriedAfterRefusedDial(t *testing.T) {
	t.Parallel()
	srv := startSim(t, commandtest.Profile25, nil)
	d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
	transport, ok := d.client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("driver transport is %T, want *http.Transport", d.client.Transport)
	}
	dial := transport.DialContext
	var dials atomic.Int32
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		return dial(ctx, network, addr)
	}
	srv.ResetCounters()

	signed, err := d.Sign(context.Background(), signRequest(t, "refused-once.example.com"))
	if err != nil {
		t.Fatalf("Sign after one refused dial: %v", err)
	}
	if signed.Certificate == nil {
		t.Fatal("no certificate")
	}
	if got := dials.Load(); got != 2 {
		t.Errorf("dials = %d, want 2 (one refused, one retried)", got)
	}
	if got := srv.Counters().Requests["POST /Enrollment/CSR"]; got != 1 {
		t.Errorf("Command saw %d enrollment requests, want exactly 1", got)
	}
}
