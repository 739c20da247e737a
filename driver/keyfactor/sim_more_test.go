package keyfactor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// A CA that never issued anything still has a chain (from the inventory) and a CRL (next to its
// parent's distribution point, verified by signature).
func TestSimCAWithoutIssuance(t *testing.T) {
	t.Parallel()
	for _, profile := range allProfiles {
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile, nil)
			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			ctx := context.Background()
			for _, ca := range []string{commandtest.DefaultCALogicalName, commandtest.ECCALogicalName} {
				der, err := d.CRL(ctx, ca)
				if err != nil {
					t.Fatalf("CRL(%s) before any issuance: %v", ca, err)
				}
				again, err := d.CRL(ctx, ca)
				if err != nil || string(again) != string(der) {
					t.Errorf("cached CRL differs: %v", err)
				}
			}
			if srv.Counters().Enrollments != 0 {
				t.Error("reading CA data enrolled something")
			}
		})
	}
}

func TestSimUnknownCertificate(t *testing.T) {
	t.Parallel()
	for _, profile := range allProfiles {
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile, nil)
			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			ctx := context.Background()
			_, err := d.stateInCommand(ctx, "987654", nil)
			if !hasStatus(err, http.StatusNotFound) || !strings.Contains(err.Error(), "HTTP 404") {
				t.Errorf("status of an unknown id: %v, want NotFoundError naming HTTP 404", err)
			}
			_, err = d.Revoke(ctx, &cadriver.RevokeRequest{CertificateID: "987654"})
			var sc cadriver.StatusCoder
			if !errors.As(err, &sc) || sc.StatusCode() >= 500 {
				t.Errorf("revoke of an unknown id: %v, want a 4xx", err)
			}
			stranger := newTestPKI(t).leaf(t, newKey(t).Public(), "stranger.example.com", 4242)
			_, err = d.Revoke(ctx, &cadriver.RevokeRequest{Certificate: stranger})
			if !hasStatus(err, http.StatusNotFound) {
				t.Errorf("revoke of a certificate Command never issued: %v, want NotFoundError", err)
			}
			if got := srv.Counters().Requests["POST /Certificates/Revoke"]; got != 1 {
				t.Errorf("%d revoke requests, want 1 (the unknown serial is never sent)", got)
			}
		})
	}
}

// Concurrent signings share one token and never race (run with -race).
func TestSimConcurrentSignings(t *testing.T) {
	t.Parallel()
	srv := startSim(t, commandtest.Profile25, nil)
	d := simDriver(t, simConf(srv, authKindOAuth, nil, nil))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cn := fmt.Sprintf("c%d.example.com", i)
			if _, err := d.Sign(context.Background(), signRequest(t, cn)); err != nil {
				errs <- err
			}
			if _, err := d.CAChain(context.Background(), ""); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c := srv.Counters(); c.TokensIssued != 1 || c.Enrollments != 16 {
		t.Errorf("tokens %d enrollments %d, want 1 and 16", c.TokensIssued, c.Enrollments)
	}
}

// Ambient KEYFACTOR_* variables and proxy settings have no effect on a configured driver.
func TestSimIgnoresEnvironment(t *testing.T) {
	// Not parallel: t.Setenv changes the process environment.
	srv := startSim(t, commandtest.Profile25, nil)
	t.Setenv("KEYFACTOR_HOSTNAME", "elsewhere.invalid")
	t.Setenv("KEYFACTOR_USERNAME", "intruder")
	t.Setenv("KEYFACTOR_PASSWORD", "intruder")
	t.Setenv("KEYFACTOR_SKIP_VERIFY", "true")
	t.Setenv("KEYFACTOR_AUTH_ACCESS_TOKEN", "ambient-token")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")

	if _, _, err := NewProvider().NewDriver(configJSON(map[string]interface{}{"url": srv.URL})); err == nil || !strings.Contains(err.Error(), "no authentication configured") {
		t.Errorf("environment credentials were used: %v", err)
	}
	d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
	if _, err := d.Sign(context.Background(), signRequest(t, "env.example.com")); err != nil {
		t.Errorf("Sign with proxy variables set: %v", err)
	}
	untrusted := simDriver(t, simConf(srv, authKindBasic, nil, map[string]interface{}{"command_cert_path": nil}))
	if _, err := untrusted.CAChain(context.Background(), ""); err == nil {
		t.Error("KEYFACTOR_SKIP_VERIFY disabled TLS verification")
	}
}
