package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/helper/certutil"
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// reconcileDomain is the domain every certificate of these tests is issued under, so Command's
// inventory can be searched for exactly them.
const reconcileDomain = "recon.example.com"

// configureForReconcile points the plugin at srv with a short Command timeout and a grace
// period of one second, so issuances Command answers late are settled in the test's time.
func (p *mountedPlugin) configureForReconcile(srv *commandtest.Server) {
	p.t.Helper()
	for _, w := range []struct {
		path string
		data map[string]interface{}
	}{
		{"config", map[string]interface{}{
			"url": srv.URL, "username": commandtest.DefaultUsername, "password": commandtest.DefaultPassword,
			"domain": commandtest.DefaultDomain, "ca": commandtest.DefaultCAHost + `\` + commandtest.DefaultCALogicalName,
			"template": commandtest.DefaultTemplate, "skip_connection_check": true, "timeout": "1s",
		}},
		{"roles/web", map[string]interface{}{"allowed_domains": reconcileDomain, "allow_subdomains": true}},
		{"config/reconcile", map[string]interface{}{"grace_period": "1s"}},
	} {
		if status, msg := p.do(logical.UpdateOperation, w.path, w.data); status >= 300 {
			p.t.Fatalf("write %s: %d %s", w.path, status, msg)
		}
	}
}

// request sends one request and returns the response data (nil on error) with the status.
func (p *mountedPlugin) request(op logical.Operation, path string, data map[string]interface{}) (int, map[string]interface{}) {
	req, resp, err := p.mount.Handle(op, path, data)
	status, rerr := logical.RespondErrorCommon(req, resp, err)
	if rerr != nil {
		logical.AdjustErrorStatusCode(&status, rerr)
		return status, nil
	}
	if resp == nil {
		return http.StatusNoContent, nil
	}
	return http.StatusOK, resp.Data
}

func reconcileCSR(t testing.TB, cn string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048) // the role's default key type
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// inventoryCert is one certificate in Command's inventory, as Command's API lists it.
type inventoryCert struct {
	serialKey string // the storage spelling of its serial (lowercase, '-' between bytes)
	revoked   bool
	comment   string
}

// commandInventory lists every certificate Command holds under reconcileDomain, read through
// Command's own API (GET /Certificates), independently of the driver under test.
func commandInventory(t *testing.T, srv *commandtest.Server) []inventoryCert {
	t.Helper()
	q := url.Values{}
	q.Set("pq.queryString", fmt.Sprintf("IssuedCN -endswith %q", "."+reconcileDomain))
	q.Set("pq.includeRevoked", "true")
	q.Set("pq.includeExpired", "true")
	q.Set("pq.returnLimit", "1000")
	req, err := http.NewRequest(http.MethodGet, srv.APIURL()+"/Certificates?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-keyfactor-requested-with", "APIClient")
	req.SetBasicAuth(commandtest.DefaultDomain+`\`+commandtest.DefaultUsername, commandtest.DefaultPassword)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var records []struct {
		CertState         int    `json:"CertState"`
		ContentBytes      string `json:"ContentBytes"`
		RevocationComment string `json:"RevocationComment"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&records); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Command inventory: %d %v", resp.StatusCode, err)
	}
	var out []inventoryCert
	for _, r := range records {
		der, err := base64.StdEncoding.DecodeString(r.ContentBytes)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, inventoryCert{serialKey: certutil.GetHexFormatted(cert.SerialNumber.Bytes(), "-"), revoked: r.CertState == 2, comment: r.RevocationComment})
	}
	return out
}

// reconcileFigures are the counts the issue asks for, before and after reconciliation.
type reconcileFigures struct {
	issuedByCommand, recordedInVault, revokedInCommand, returnedToClients, orphaned int
}

func (f reconcileFigures) String() string {
	return fmt.Sprintf("issued by Command %d, recorded in Vault %d, revoked in Command %d, returned to clients %d, orphaned %d",
		f.issuedByCommand, f.recordedInVault, f.revokedInCommand, f.returnedToClients, f.orphaned)
}

func (p *mountedPlugin) figures(t *testing.T, srv *commandtest.Server, returned int) reconcileFigures {
	t.Helper()
	f := reconcileFigures{returnedToClients: returned, recordedInVault: p.countCerts()}
	for _, c := range commandInventory(t, srv) {
		f.issuedByCommand++
		entry, err := p.mount.Storage.Get(context.Background(), "certs/"+c.serialKey)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.revoked:
			f.revokedInCommand++
		case entry == nil:
			f.orphaned++
		}
	}
	return f
}

// TestReconcileSettlesIssuancesCommandAnsweredTooLate: Command completes enrollments but answers
// after the mount's timeout, under concurrent issuers. The clients get 504 and Vault stores
// nothing; one reconciliation pass revokes the issue/ certificates (their keys are gone) and
// records the sign/ ones, so no certificate Command issued is left orphaned.
func TestReconcileSettlesIssuancesCommandAnsweredTooLate(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	p := newPlugin(t)
	p.mount.MountPoint = "kf/"
	p.configureForReconcile(srv)

	const slowIssue, slowSign, fine = 6, 4, 3
	srv.InjectFault(commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: slowIssue + slowSign, AnswerLatency: 2500 * time.Millisecond})
	var wg sync.WaitGroup
	statuses := make(chan int, slowIssue+slowSign)
	for i := 0; i < slowIssue+slowSign; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cn := fmt.Sprintf("slow%d.%s", i, reconcileDomain)
			if i < slowIssue {
				status, _ := p.request(logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": cn})
				statuses <- status
				return
			}
			status, _ := p.request(logical.UpdateOperation, "sign/web", map[string]interface{}{"common_name": cn, "csr": reconcileCSR(t, cn)})
			statuses <- status
		}(i)
	}
	wg.Wait()
	close(statuses)
	for status := range statuses {
		if status != http.StatusGatewayTimeout {
			t.Fatalf("a request Command answered too late got %d, want 504", status)
		}
	}
	for i := 0; i < fine; i++ {
		if status, _ := p.request(logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": fmt.Sprintf("fine%d.%s", i, reconcileDomain)}); status != http.StatusOK {
			t.Fatalf("issue without a fault: %d", status)
		}
	}
	waitUntil(t, func() bool { return srv.Counters().Enrollments == slowIssue+slowSign+fine })
	time.Sleep(1100 * time.Millisecond) // past the grace period

	before := p.figures(t, srv, fine)
	t.Logf("before reconciliation: %s", before)
	if before.orphaned != slowIssue+slowSign {
		t.Fatalf("before reconciliation %d orphaned, want %d: the fault did not make Command issue behind the clients' backs", before.orphaned, slowIssue+slowSign)
	}
	if status, data := p.request(logical.ReadOperation, "reconcile-status", nil); status != http.StatusOK || data["intents_pending"] != slowIssue+slowSign {
		t.Fatalf("reconcile-status before: %d %v", status, data)
	}

	status, pass := p.request(logical.UpdateOperation, "reconcile", nil)
	if status != http.StatusOK || pass["revoked"] != slowIssue || pass["recorded"] != slowSign || pass["intents_pending"] != 0 || pass["errors"] != 0 {
		t.Fatalf("reconcile pass: %d %v", status, pass)
	}
	after := p.figures(t, srv, fine)
	t.Logf("after one reconciliation pass: %s", after)
	if after.orphaned != 0 || after.revokedInCommand != slowIssue || after.recordedInVault != fine+slowSign || after.issuedByCommand != slowIssue+slowSign+fine {
		t.Fatalf("after reconciliation: %s", after)
	}
	for _, c := range commandInventory(t, srv) {
		if c.revoked && !strings.Contains(c.comment, "kf/") {
			t.Errorf("revocation comment %q does not name the mount", c.comment)
		}
	}
	_, st := p.request(logical.ReadOperation, "reconcile-status", nil)
	if st["intents_pending"] != 0 || st["revoked"] != slowIssue || st["recorded"] != slowSign || st["last_run_finished"] == "" {
		t.Fatalf("reconcile-status after: %v", st)
	}
	// A second pass has nothing left to do.
	if _, again := p.request(logical.UpdateOperation, "reconcile", nil); again["revoked"] != 0 || again["recorded"] != 0 {
		t.Fatalf("second pass: %v", again)
	}
}

// TestReconcileIntentLifecycle: an issuance that succeeds or that Command refuses leaves no
// intent; one whose request never reached Command's application (dropped connection) is closed
// as not found by the periodic function Vault drives with rollback requests.
func TestReconcileIntentLifecycle(t *testing.T) {
	srv := commandtest.NewServer()
	t.Cleanup(srv.Close)
	p := newPlugin(t)
	p.configureForReconcile(srv)
	pending := func() interface{} {
		_, st := p.request(logical.ReadOperation, "reconcile-status", nil)
		return st["intents_pending"]
	}
	issue := func(cn string) int {
		status, _ := p.request(logical.UpdateOperation, "issue/web", map[string]interface{}{"common_name": cn + "." + reconcileDomain})
		return status
	}

	if status := issue("ok"); status != http.StatusOK || pending() != 0 {
		t.Fatalf("successful issue: %d, %v intents left", status, pending())
	}
	srv.InjectFault(commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: 1, Disposition: "DENIED"})
	if status := issue("denied"); status != http.StatusBadRequest || pending() != 0 {
		t.Fatalf("denied issue: %d, %v intents left", status, pending())
	}
	srv.InjectFault(commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: 1, DropConnection: true})
	if status := issue("dropped"); status < 500 || pending() != 1 {
		t.Fatalf("dropped connection: %d, %v intents left, want 1", status, pending())
	}
	time.Sleep(1100 * time.Millisecond)
	if _, _, err := p.mount.Handle(logical.RollbackOperation, "", nil); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	_, st := p.request(logical.ReadOperation, "reconcile-status", nil)
	if st["intents_pending"] != 0 || st["closed_not_found"] != 1 || st["revoked"] != 0 {
		t.Fatalf("after the periodic pass: %v", st)
	}
}

// TestReconcileConfig: orphan_policy takes the three policies or the defaults, and refuses
// anything else naming the field.
func TestReconcileConfig(t *testing.T) {
	p := newPlugin(t)
	_, data := p.request(logical.ReadOperation, "config/reconcile", nil)
	if data["issue_orphan_policy"] != "revoke" || data["sign_orphan_policy"] != "record" || data["grace_period"] != int64(300) {
		t.Fatalf("defaults: %v", data)
	}
	if _, data = p.request(logical.UpdateOperation, "config/reconcile", map[string]interface{}{"orphan_policy": "report"}); data["issue_orphan_policy"] != "report" || data["sign_orphan_policy"] != "report" {
		t.Fatalf("report: %v", data)
	}
	if status, msg := p.do(logical.UpdateOperation, "config/reconcile", map[string]interface{}{"orphan_policy": "delete"}); status != http.StatusBadRequest || !strings.Contains(msg, "orphan_policy") {
		t.Fatalf("bad policy: %d %s", status, msg)
	}
	if status, msg := p.do(logical.UpdateOperation, "config/reconcile", map[string]interface{}{"grace_period": "0s"}); status != http.StatusBadRequest || !strings.Contains(msg, "grace_period") {
		t.Fatalf("bad grace: %d %s", status, msg)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
