package compattest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/helper/certutil"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// commandCertStateRevoked is Command's CertState for a revoked certificate (as commandtest's
// certStateRevoked).
const commandCertStateRevoked = 2

// TestRoleNamesWithDotDotOnRealVault: role names holding ".." get the same status and error text
// from the plugin as from native PKI through a real Vault, on every path that takes a role.
func TestRoleNamesWithDotDotOnRealVault(t *testing.T) {
	env := startRealVault(t)
	if _, err := env.EnableNativePKI("pki", "pki-root"); err != nil {
		t.Fatal(err)
	}
	if err := env.EnablePlugin("kf"); err != nil {
		t.Fatal(err)
	}
	if err := env.ConfigureBasic("kf"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	role := map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true}
	for _, c := range []struct {
		method, path string
		body         map[string]interface{}
	}{
		{http.MethodPost, "roles/a..b", role},
		{http.MethodGet, "roles/a..b", nil},
		{http.MethodDelete, "roles/a..b", nil},
		{http.MethodPost, "issue/a..b", map[string]interface{}{"common_name": "a.example.com"}},
		{http.MethodPost, "sign/a..b", map[string]interface{}{"common_name": "a.example.com"}},
		{http.MethodPost, "issuer/default/issue/a..b", map[string]interface{}{"common_name": "a.example.com"}},
	} {
		nativeStatus, _, nativeBody, err := env.Do(ctx, c.method, "pki/"+c.path, c.body, true)
		if err != nil {
			t.Fatal(err)
		}
		pluginStatus, _, pluginBody, err := env.Do(ctx, c.method, "kf/"+c.path, c.body, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %s: native %d %s; plugin %d %s", c.method, c.path, nativeStatus, nativeBody, pluginStatus, pluginBody)
		if nativeStatus != http.StatusBadRequest || pluginStatus != nativeStatus {
			t.Errorf("%s %s: plugin answered %d, native %d (want both 400)", c.method, c.path, pluginStatus, nativeStatus)
		}
		if errorsOf(t, pluginBody) != errorsOf(t, nativeBody) {
			t.Errorf("%s %s: plugin's errors %s differ from native's %s", c.method, c.path, pluginBody, nativeBody)
		}
	}
}

func errorsOf(t *testing.T, body []byte) string {
	t.Helper()
	var answer struct {
		Errors []string `json:"errors"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		t.Fatalf("error answer is not JSON: %s", body)
	}
	return fmt.Sprint(answer.Errors)
}

// reconcileMount is the mount the reconciliation test issues through.
const reconcileMount = "kf"

// e2eIssuance is one issue or sign request and its answer.
type e2eIssuance struct {
	cn     string
	sign   bool
	status int
}

// issueConcurrently sends every issuance at once through Vault's HTTP API.
func issueConcurrently(t *testing.T, env *realvault.Env, all []*e2eIssuance) {
	t.Helper()
	var wg sync.WaitGroup
	for _, is := range all {
		wg.Add(1)
		go func(is *e2eIssuance) {
			defer wg.Done()
			path, body := reconcileMount+"/issue/web", map[string]interface{}{"common_name": is.cn}
			if is.sign {
				path, body["csr"] = reconcileMount+"/sign/web", rsaCSR(t, is.cn)
			}
			status, _, _, err := env.Do(context.Background(), http.MethodPost, path, body, true)
			if err != nil {
				status = 0 // the client saw no HTTP answer at all
			}
			is.status = status
		}(is)
	}
	wg.Wait()
}

func rsaCSR(t *testing.T, cn string) string {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Error(err)
		return ""
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn}}, key)
	if err != nil {
		t.Error(err)
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// e2eFigures counts, over every issuance of the test, what Command issued and where each
// certificate ended: in Vault's records, revoked in Command, or neither (orphaned).
type e2eFigures struct {
	issuedByCommand, recordedInVault, revokedInCommand, returnedToClients, orphaned int
}

func (f e2eFigures) String() string {
	return fmt.Sprintf("issued by Command %d, recorded in Vault %d, revoked in Command %d, returned to clients %d, orphaned %d",
		f.issuedByCommand, f.recordedInVault, f.revokedInCommand, f.returnedToClients, f.orphaned)
}

func measure(t *testing.T, env *realvault.Env, all []*e2eIssuance) e2eFigures {
	t.Helper()
	ctx := context.Background()
	var f e2eFigures
	for _, is := range all {
		if is.status == http.StatusOK {
			f.returnedToClients++
		}
		certs, err := env.CommandCertificatesByCN(ctx, is.cn)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range certs {
			f.issuedByCommand++
			serial, ok := new(big.Int).SetString(c.SerialNumber, 16)
			if !ok {
				t.Fatalf("Command serial %q is not hex", c.SerialNumber)
			}
			status, _, _, err := env.Do(ctx, http.MethodGet, reconcileMount+"/cert/"+certutil.GetHexFormatted(serial.Bytes(), ":"), nil, false)
			if err != nil {
				t.Fatal(err)
			}
			recorded := status == http.StatusOK
			if recorded {
				f.recordedInVault++
			}
			if c.CertState == commandCertStateRevoked {
				f.revokedInCommand++
			}
			if !recorded && c.CertState != commandCertStateRevoked {
				f.orphaned++
			}
		}
	}
	return f
}

// runReconcile runs one reconciliation pass on mount through Vault and returns its counts.
func runReconcile(t *testing.T, env *realvault.Env, mount string) map[string]json.RawMessage {
	t.Helper()
	var pass vaultSecret
	mustVaultJSON(t, env, &pass, "write", "-f", mount+"/reconcile")
	return pass.Data
}

// TestReconcileOnRealVault: (a) Command answers slower than the mount's timeout, (b) the plugin
// process is SIGKILLed under 16 concurrent issuers. In both cases Command issues certificates
// nobody receives; after one reconciliation pass each is recorded in Vault (sign/) or revoked in
// Command (issue/), and none is orphaned.
//
// Under (b) Vault itself sends each request that failed because the plugin died once more, to the
// restarted plugin (builtin/plugin/backend.go, "Try once more"): an issue/ request is then
// enrolled twice, with two keys, and only the second certificate reaches the client.
func TestReconcileOnRealVault(t *testing.T) {
	env := startRealVault(t)
	ctx := context.Background()
	if err := env.EnablePlugin(reconcileMount); err != nil {
		t.Fatal(err)
	}
	if err := env.ConfigureBasic(reconcileMount); err != nil {
		t.Fatal(err)
	}
	mustVault(t, env, "write", reconcileMount+"/config", "timeout=2s")
	mustVault(t, env, "write", reconcileMount+"/roles/web", "allowed_domains=recon.example.com", "allow_subdomains=true")
	const grace = 3 * time.Second
	mustVault(t, env, "write", reconcileMount+"/config/reconcile", "grace_period=3s")

	var all []*e2eIssuance
	batch := func(prefix string, n, signs int) []*e2eIssuance {
		var out []*e2eIssuance
		for i := 0; i < n; i++ {
			out = append(out, &e2eIssuance{cn: fmt.Sprintf("%s%d.recon.example.com", prefix, i), sign: i < signs})
		}
		all = append(all, out...)
		return out
	}

	// (a) Command slower than the timeout: it issues, then answers after the plugin gave up.
	slow := batch("slow", 6, 2)
	if err := env.InjectSimFault(ctx, commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: len(slow), AnswerLatency: 5 * time.Second}); err != nil {
		t.Fatal(err)
	}
	issueConcurrently(t, env, slow)
	for _, is := range slow {
		if is.status == http.StatusOK {
			t.Fatalf("%s answered 200 although Command answered after the timeout", is.cn)
		}
	}
	// The plugin's own log lines reach Vault's log at their level (Vault runs at warn here), with
	// their structured fields: an operator sees each failed call to Command.
	if !logHasLine(env.Logs(), "issue failed", "outcome=failure", "status=") {
		t.Errorf("Vault's log (at warn) has no plugin line for the issuances that timed out:\n%s", env.Logs())
	}

	// (b) SIGKILL of the plugin while 16 enrollments are in Command's hands (a timeout long
	// enough that the kill, not the timeout, ends them).
	mustVault(t, env, "write", reconcileMount+"/config", "timeout=120s")
	killed := batch("kill", 16, 4)
	if err := env.InjectSimFault(ctx, commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: len(killed), AnswerLatency: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	start, err := env.SimCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { issueConcurrently(t, env, killed); close(done) }()
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := env.SimCounters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Enrollments-start.Enrollments >= len(killed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d enrollments reached Command", c.Enrollments-start.Enrollments, len(killed))
		}
		time.Sleep(50 * time.Millisecond)
	}
	pids, err := env.KillPlugin()
	if err != nil || len(pids) == 0 {
		t.Fatalf("killing the plugin: %v (pids %v)", err, pids)
	}
	t.Logf("SIGKILLed plugin process(es) %v with %d enrollments in flight", pids, len(killed))
	<-done
	if err := env.ClearSimFaults(ctx); err != nil {
		t.Fatal(err)
	}

	// Delivered normally, after Vault restarted the plugin.
	fine := batch("fine", 3, 1)
	issueConcurrently(t, env, fine)
	for _, is := range fine {
		if is.status != http.StatusOK {
			t.Fatalf("%s after the restart: %d", is.cn, is.status)
		}
	}

	time.Sleep(grace + time.Second)
	phases := []struct {
		name string
		of   []*e2eIssuance
	}{{"(a) Command slower than timeout, 6 issuers", slow}, {"(b) plugin SIGKILLed under 16 issuers", killed}, {"delivered after the restart", fine}}
	for _, ph := range phases {
		t.Logf("before reconciliation, %s: %s", ph.name, measure(t, env, ph.of))
	}
	before := measure(t, env, all)
	t.Logf("before reconciliation: %s", before)
	if before.orphaned == 0 {
		t.Fatal("no certificate was orphaned: the faults did not reproduce the problem")
	}

	pass := runReconcile(t, env, reconcileMount)
	t.Logf("reconcile pass: %s", mustMarshal(t, pass))
	for _, ph := range phases {
		t.Logf("after one reconciliation pass, %s: %s", ph.name, measure(t, env, ph.of))
	}
	after := measure(t, env, all)
	t.Logf("after one reconciliation pass: %s", after)
	if after.orphaned != 0 {
		t.Fatalf("%d certificates issued by Command are neither in Vault's records nor revoked", after.orphaned)
	}
	if after.issuedByCommand != before.issuedByCommand || after.returnedToClients != before.returnedToClients ||
		after.revokedInCommand+after.recordedInVault != after.issuedByCommand {
		t.Fatalf("figures do not add up: before %s, after %s", before, after)
	}
	var status vaultSecret
	mustVaultJSON(t, env, &status, "read", reconcileMount+"/reconcile-status")
	t.Logf("reconcile-status: %s", mustMarshal(t, status.Data))
	if string(status.Data["intents_pending"]) != "0" {
		t.Fatalf("intents still pending after the pass: %s", status.Data["intents_pending"])
	}
}

func mustMarshal(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// logHasLine reports whether some line of log contains every one of parts.
func logHasLine(log string, parts ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
