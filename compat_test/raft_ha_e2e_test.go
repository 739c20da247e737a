//go:build ha

package compattest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

const (
	haMount = "pki"
	haRole  = "ha"
	// rollbackPeriod is how often Vault's rollback manager, which runs only on the active node,
	// calls each mount's PeriodicFunc (fixed at one minute in Vault's core; its first call comes
	// one period after the node became active).
	rollbackPeriod = time.Minute
	// haWait bounds every wait for the cluster: elections, a sync, an auto-tidy.
	haWait = 4 * time.Minute
	// syncSearch is the simulator's counter key of the certificate searches; during the test
	// only the mount's revocation sync searches (issuance enrolls, the test reads Command's
	// inventory only outside the counted windows).
	syncSearch = "GET /Certificates"
	// rollbackStarted and rollbackStopped are what Vault's core logs (at info) when a node
	// becomes active and when it stops being active; PeriodicFunc is only called in between.
	rollbackStarted = "starting rollback manager"
	rollbackStopped = "stopping rollback manager"
)

// TestRaftHAFailover runs the plugin on a three-node Vault cluster with integrated storage
// (Raft) while clients keep issuing through every node, and kills the active node.
//
//   - Issuance through standbys works (they forward to the active node) and resumes on the new
//     active node after the kill; the outage is measured and logged, not asserted.
//   - Config, role, auto-tidy config and certificate records written before the kill are intact
//     on the new active node.
//   - No certificate Command issued for the load is missing from Vault's records unless that
//     request's client got an error.
//   - Periodic work (revocation sync, auto-tidy) runs on exactly one node: the active one. The
//     observables are (a) the simulator's search counter, which goes up by one search per issuer
//     per sync, so a sync on every node would triple it; (b) the effect of the sync, a
//     revocation made in Command's console showing in Vault's record; (c) each node's log:
//     Vault's rollback manager, the only caller of PeriodicFunc, runs on a node between
//     "starting" and "stopping rollback manager", and exactly one live node is in that state;
//     (d) the plugin processes each node runs: only the active node runs the plugin at all;
//     (e) tidy-status read through every node names one backend instance.
//
// TestRaftHAFailover also shows that a config change made through one node is what the next
// issuance served through another node uses, across changes of the active node.
func TestRaftHAFailover(t *testing.T) {
	wallStart := time.Now()
	ctx := context.Background()
	c := startRaftCluster(t)

	active := waitRoles(t, c)
	standbys := others(c.Live(), active)
	t.Logf("cluster up in %v: active %s, standbys %s", time.Since(wallStart).Round(time.Second), c.Nodes[active].Name, names(c, standbys))

	// Set up through the standbys: every write is forwarded to the active node.
	first, second := c.Env(standbys[0]), c.Env(standbys[1])
	if err := first.EnablePlugin(haMount); err != nil {
		t.Fatal(err)
	}
	if err := second.ConfigureBasic(haMount); err != nil {
		t.Fatal(err)
	}
	mustVault(t, first, "write", haMount+"/roles/"+haRole, "allowed_domains=example.com", "allow_subdomains=true",
		"key_type=ec", "key_bits=256")
	mustVault(t, second, "write", haMount+"/config/auto-tidy", "enabled=true", "interval_duration=60s",
		"tidy_cert_store=true", "tidy_revoked_certs=true")

	// Records written before the kill, through every node.
	preSerials := map[string]string{} // serial -> certificate PEM
	var preCNs []string
	for i := 0; i < 6; i++ {
		cn := fmt.Sprintf("pre-%d.example.com", i)
		var issued vaultSecret
		mustVaultJSON(t, c.Env(i%len(c.Nodes)), &issued, "write", haMount+"/issue/"+haRole, "common_name="+cn)
		preSerials[issued.str(t, "serial_number")] = issued.str(t, "certificate")
		preCNs = append(preCNs, cn)
	}
	configBefore := readRawData(t, c.Env(active), haMount+"/config")
	roleBefore := readRawData(t, c.Env(active), haMount+"/roles/"+haRole)
	autoTidyBefore := readRawData(t, c.Env(active), haMount+"/config/auto-tidy")
	// The Command ids of two of them, to revoke in Command's console later (searching Command
	// now, before the search counter is read). The second, when one is, has a serial Command
	// spells with DER's 00 sign octet (first byte 80 or more), which the mount must find too.
	var preCerts []realvault.CommandCertificate
	for _, cn := range preCNs {
		preCerts = append(preCerts, commandCert(t, c, cn))
	}
	sort.SliceStable(preCerts, func(a, b int) bool {
		return !strings.HasPrefix(preCerts[a].SerialNumber, "00") && strings.HasPrefix(preCerts[b].SerialNumber, "00")
	})
	revokeFirst, revokeSecond := preCerts[0], preCerts[len(preCerts)-1]
	issuers := issuerCount(t, c.Env(active))

	// Hand the active role over once, so the periodic work starts at a known time: a node's
	// rollback manager first calls PeriodicFunc one period after the node became active, and
	// the mount's first revocation sync runs then.
	if err := c.StepDown(active); err != nil {
		t.Fatal(err)
	}
	previous := active
	active = waitRoles(t, c)
	if active == previous {
		t.Fatalf("after step-down %s is still the active node", c.Nodes[active].Name)
	}
	becameActive := time.Now()
	load := startIssueLoad(c, haMount, haRole)
	loadStopped := false
	defer func() {
		if !loadStopped {
			load.finish()
		}
	}()

	// Periodic work before the kill.
	searchesBefore := simCounter(t, c, syncSearch)
	if err := c.Env(active).CommandRevoke(ctx, []int{revokeFirst.ID}, "revoked in the console before the kill"); err != nil {
		t.Fatal(err)
	}
	syncSeen := waitRevokedInVault(t, c, active, revokeFirst, becameActive)
	tidyBefore := waitAutoTidy(t, c, "")
	waitUntil(t, syncSeen.Add(rollbackPeriod+10*time.Second))
	if got := simCounter(t, c, syncSearch) - searchesBefore; got != issuers {
		t.Fatalf("while %s was active (%v after its first sync, a rollback period on every node) Command saw %d revocation-sync searches, want %d (one sync, one search per issuer, on one node)",
			c.Nodes[active].Name, time.Since(syncSeen).Round(time.Second), got, issuers)
	}
	assertPeriodicOnlyOn(t, c, active)

	// Kill the active node while the clients keep issuing, with some enrollments issued in
	// Command and not yet answered.
	holdEnrollments(t, c, active)
	killed := active
	load.takeOut(killed)
	killedAt := time.Now()
	c.Kill(killed)
	t.Logf("SIGKILL %s at %s", c.Nodes[killed].Name, killedAt.Format(time.RFC3339Nano))
	searchesAtKill := simCounter(t, c, syncSearch)
	if err := c.Env(c.Live()[0]).CommandRevoke(ctx, []int{revokeSecond.ID}, "revoked in the console during the failover"); err != nil {
		t.Fatal(err)
	}
	active = waitRoles(t, c)
	electedAt := time.Now()
	t.Logf("%s active %v after the kill", c.Nodes[active].Name, electedAt.Sub(killedAt).Round(time.Millisecond))

	// Periodic work moved to the new active node, and to it alone.
	syncSeen = waitRevokedInVault(t, c, active, revokeSecond, electedAt)
	// The plugin's lines reach the node's log at their own level (Vault runs at info): the
	// sync that recorded the console revocation, and the issuances it served.
	if log := c.NodeLog(active); !logHasLine(log, "revocation sync finished", "recorded=1") || !logHasLine(log, "issue succeeded", "outcome=success", "serial=") {
		t.Errorf("%s's log lacks the plugin's info lines (revocation sync finished with recorded=1, issue succeeded); its periodic-work lines:\n%s",
			c.Nodes[active].Name, periodicLogLines(log))
	}
	tidyAfter := waitAutoTidy(t, c, tidyBefore)
	waitUntil(t, syncSeen.Add(rollbackPeriod+10*time.Second))
	if got := simCounter(t, c, syncSearch) - searchesAtKill; got != issuers {
		t.Fatalf("after the failover Command saw %d revocation-sync searches, want %d (one sync on the new active node)", got, issuers)
	}
	assertPeriodicOnlyOn(t, c, active)
	t.Logf("auto-tidy ran on backend %s before the kill and on %s after it", tidyBefore, tidyAfter)

	outcomes := load.finish()
	loadStopped = true
	figures := summarise(outcomes, killedAt)
	if figures.FailedBeforeKill != 0 {
		t.Errorf("%d issuances failed before the kill; first: %s", figures.FailedBeforeKill, firstError(outcomes))
	}
	if figures.Outage == 0 {
		t.Fatalf("no issuance sent after the kill succeeded (%d requests, %d failed; first error: %s)", figures.Requests, figures.Failed, firstError(outcomes))
	}
	for _, i := range c.Live() {
		if !figures.RecoveredThrough[i] {
			t.Errorf("after the failover no issuance sent through %s succeeded", c.Nodes[i].Name)
		}
	}

	// Records written before the kill, read through every surviving node.
	for _, i := range c.Live() {
		env := c.Env(i)
		assertSameData(t, "config", configBefore, readRawData(t, env, haMount+"/config"))
		assertSameData(t, "role", roleBefore, readRawData(t, env, haMount+"/roles/"+haRole))
		assertSameData(t, "auto-tidy config", autoTidyBefore, readRawData(t, env, haMount+"/config/auto-tidy"))
		for serial, certPEM := range preSerials {
			var rec vaultSecret
			mustVaultJSON(t, env, &rec, "read", haMount+"/cert/"+serial)
			if got := rec.str(t, "certificate"); strings.TrimSpace(got) != strings.TrimSpace(certPEM) {
				t.Errorf("through %s cert/%s holds another certificate than the one issued before the kill", c.Nodes[i].Name, serial)
			}
		}
	}

	// Command's inventory against Vault's records and the clients' outcomes.
	ledger := reconcile(t, c, active, outcomes)
	t.Logf("HA figures: requests %d, succeeded %d, failed %d (all after the kill); outage %v (kill to first success); "+
		"Command issued %d for the load, Vault recorded %d of them, %d issued without a record (their clients got errors), "+
		"%d recorded although the client got an error; pre-kill records intact: %d certificates, config, role, auto-tidy; failures by kind %v",
		figures.Requests, figures.Succeeded, figures.Failed, figures.Outage.Round(time.Millisecond),
		ledger.issuedByCommand, ledger.recordedInVault, ledger.unrecordedWithClientError, ledger.recordedDespiteError, len(preSerials),
		figures.ErrorKinds)
	settleAfterFailover(t, c, active, ledger)

	// Bring the killed node back; it rejoins from its Raft data and is unsealed with the kept keys.
	if err := c.Restart(ctx, killed); err != nil {
		t.Fatal(err)
	}
	waitRoles(t, c)
	assertConfigChangesSeenEverywhere(t, c)

	t.Logf("TestRaftHAFailover wall time %v", time.Since(wallStart).Round(time.Second))
}

// assertConfigChangesSeenEverywhere changes the default template through one standby and issues
// through the other, then moves the active role on and repeats: every issuance, including the
// first one a node serves after becoming active again, must use the template written last.
// In Vault's community edition standbys serve nothing themselves (they forward) and a node that
// becomes active builds its mounts anew; a plugin that kept a driver across that, or a standby
// that served from a stale cache, would issue with the old template here.
func assertConfigChangesSeenEverywhere(t *testing.T, c *realvault.Cluster) {
	t.Helper()
	templates := []string{commandtest.ShortLivedTemplate, commandtest.DefaultTemplate}
	current := c.Sim.Template
	lastTerm := map[int]int{}
	returnsAfterChange := 0
	for round := 0; round < 6 && (round < 3 || returnsAfterChange == 0); round++ {
		active := waitRoles(t, c)
		standbys := others(c.Live(), active)
		if prev, ok := lastTerm[active]; ok && round-prev >= 2 {
			returnsAfterChange++ // the config changed while this node was a standby
		}
		lastTerm[active] = round

		// First issuance of this term, through the active node itself.
		assertIssuedWithTemplate(t, c, active, fmt.Sprintf("term-%d.example.com", round), current)

		next := templates[round%len(templates)]
		vaultDuringHandover(t, c.Env(standbys[0]), nil, "write", haMount+"/config", "template="+next)
		current = next
		assertIssuedWithTemplate(t, c, standbys[1], fmt.Sprintf("change-%d.example.com", round), current)

		if err := c.StepDown(active); err != nil {
			t.Fatal(err)
		}
	}
	if returnsAfterChange == 0 {
		t.Fatalf("no node became active again after the config changed while it stood by (terms: %v)", lastTerm)
	}
}

// assertIssuedWithTemplate issues through node i and checks, from the certificate's validity,
// which template Command used: the simulator's ShortLived template issues for two minutes, its
// WebServer template for thirty days.
func assertIssuedWithTemplate(t *testing.T, c *realvault.Cluster, i int, cn, template string) {
	t.Helper()
	var issued vaultSecret
	vaultDuringHandover(t, c.Env(i), &issued, "write", haMount+"/issue/"+haRole, "common_name="+cn)
	cert := parseCertPEM(t, issued.str(t, "certificate"))
	validity := cert.NotAfter.Sub(cert.NotBefore)
	shortLived := validity <= time.Hour
	if shortLived != (template == commandtest.ShortLivedTemplate) {
		t.Fatalf("%s issued through %s is valid for %v; the config written last names template %q", cn, c.Nodes[i].Name, validity, template)
	}
}

// vaultDuringHandover runs the vault CLI (decoding its JSON output into v unless v is nil),
// retrying (bounded) only the answer a standby gives while it has not yet learned which node is
// active after a change of leader.
func vaultDuringHandover(t *testing.T, env *realvault.Env, v interface{}, args ...string) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 30; attempt++ {
		if v == nil {
			_, err = env.Vault(args...)
		} else {
			err = env.VaultJSON(v, args...)
		}
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "active cluster node not found") {
			break
		}
		time.Sleep(time.Second)
	}
	t.Fatal(err)
}

// startRaftCluster starts the simulator and a three-node Raft cluster with the plugin
// registered, and stops them when the test ends.
func startRaftCluster(t *testing.T) *realvault.Cluster {
	t.Helper()
	bins, err := realvault.BinariesFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := realvault.StartCluster(ctx, realvault.ClusterOptions{Binaries: bins, Dir: dir})
	if err != nil {
		t.Fatalf("starting the cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process output:\n%s", c.Logs())
		}
		c.Close()
	})
	return c
}

func waitRoles(t *testing.T, c *realvault.Cluster) int {
	t.Helper()
	active, err := c.WaitRoles(context.Background(), haWait)
	if err != nil {
		t.Fatal(err)
	}
	return active
}

func others(nodes []int, except int) []int {
	var out []int
	for _, i := range nodes {
		if i != except {
			out = append(out, i)
		}
	}
	return out
}

func names(c *realvault.Cluster, nodes []int) string {
	var out []string
	for _, i := range nodes {
		out = append(out, c.Nodes[i].Name)
	}
	return strings.Join(out, ", ")
}

func readRawData(t *testing.T, env *realvault.Env, path string) map[string]json.RawMessage {
	t.Helper()
	var s vaultSecret
	mustVaultJSON(t, env, &s, "read", path)
	return s.Data
}

func assertSameData(t *testing.T, what string, want, got map[string]json.RawMessage) {
	t.Helper()
	if !slices.Equal(keysOf(want), keysOf(got)) {
		t.Errorf("%s keys after the failover %v, before %v", what, keysOf(got), keysOf(want))
		return
	}
	for k, v := range want {
		if !bytes.Equal(compactJSON(v), compactJSON(got[k])) {
			t.Errorf("%s %s after the failover %s, before %s", what, k, got[k], v)
		}
	}
}

func compactJSON(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// commandCert is the one certificate Command holds for cn.
func commandCert(t *testing.T, c *realvault.Cluster, cn string) realvault.CommandCertificate {
	t.Helper()
	certs, err := c.Env(c.Live()[0]).CommandCertificatesByCN(context.Background(), cn)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 1 {
		t.Fatalf("Command holds %d certificates for %s, want 1", len(certs), cn)
	}
	return certs[0]
}

func simCounter(t *testing.T, c *realvault.Cluster, key string) int {
	t.Helper()
	counters, err := c.Env(c.Live()[0]).SimCounters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return counters.Requests[key]
}

func issuerCount(t *testing.T, env *realvault.Env) int {
	t.Helper()
	var keys []string // the CLI prints a list's keys as a plain JSON array
	mustVaultJSON(t, env, &keys, "list", haMount+"/issuers")
	if len(keys) == 0 {
		t.Fatal("the mount lists no issuers")
	}
	return len(keys)
}

// waitRevokedInVault waits until the record of cert (revoked in Command's console) shows the
// revocation, which only the mount's revocation sync writes, read through node i; it returns
// when that was seen. A sync is due one rollback period after since.
func waitRevokedInVault(t *testing.T, c *realvault.Cluster, i int, cert realvault.CommandCertificate, since time.Time) time.Time {
	t.Helper()
	// The mount takes serials in Command's spelling too (hex without separators).
	serial := cert.SerialNumber
	deadline := time.Now().Add(haWait)
	lastRead := "never read"
	for time.Now().Before(deadline) {
		var rec vaultSecret
		out, err := c.Env(i).Vault("read", "-format=json", haMount+"/cert/"+serial)
		lastRead = fmt.Sprintf("%v: %s", err, out)
		if err == nil && json.Unmarshal([]byte(out), &rec) == nil {
			var revokedAt int64
			if json.Unmarshal(rec.Data["revocation_time"], &revokedAt) == nil && revokedAt > 0 {
				t.Logf("revocation sync on %s recorded %s %v after the node became active", c.Nodes[i].Name, cert.IssuedCN, time.Since(since).Round(time.Second))
				return time.Now()
			}
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("%s (serial %s), revoked in Command, is not revoked in Vault's record %v after %s became active; last read of cert/%s: %s; the node's periodic-work log lines:\n%s",
		cert.IssuedCN, serial, haWait, c.Nodes[i].Name, serial, lastRead, periodicLogLines(c.NodeLog(i)))
	return time.Time{}
}

// waitAutoTidy waits until tidy-status, read through every live node, names one backend
// instance (not notBackend) that finished an automatic tidy, and returns that instance's id.
func waitAutoTidy(t *testing.T, c *realvault.Cluster, notBackend string) string {
	t.Helper()
	deadline := time.Now().Add(haWait)
	var last string
	for time.Now().Before(deadline) {
		seen := map[string]bool{}
		finished := true
		for _, i := range c.Live() {
			var status vaultSecret
			out, err := c.Env(i).Vault("read", "-format=json", haMount+"/tidy-status")
			if err != nil || json.Unmarshal([]byte(out), &status) != nil {
				finished = false
				last = fmt.Sprintf("%s: %v", c.Nodes[i].Name, err)
				break
			}
			var state, backend string
			_ = json.Unmarshal(status.Data["state"], &state)
			_ = json.Unmarshal(status.Data["internal_backend_uuid"], &backend)
			seen[backend] = true
			finished = finished && state == "Finished" && backend != notBackend
			last = fmt.Sprintf("%s: state %s, backend %s", c.Nodes[i].Name, state, backend)
		}
		if len(seen) > 1 {
			t.Fatalf("tidy-status through the live nodes names %d backend instances (%v), want one: the active node's", len(seen), seen)
		}
		if finished && len(seen) == 1 {
			for backend := range seen {
				return backend
			}
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("no automatic tidy finished within %v (last: %s)", haWait, last)
	return ""
}

// assertPeriodicOnlyOn checks, from each live node's log and processes, that node active is
// the only one where Vault calls the plugin's PeriodicFunc and the only one running the plugin.
func assertPeriodicOnlyOn(t *testing.T, c *realvault.Cluster, active int) {
	t.Helper()
	for _, i := range c.Live() {
		log := c.NodeLog(i)
		running := strings.Count(log, rollbackStarted) - strings.Count(log, rollbackStopped)
		want := 0
		if i == active {
			want = 1
		}
		if running != want {
			t.Errorf("%s's log shows %d running rollback managers (started %d, stopped %d), want %d",
				c.Nodes[i].Name, running, strings.Count(log, rollbackStarted), strings.Count(log, rollbackStopped), want)
		}
		procs, err := c.PluginProcesses(i)
		if err != nil {
			t.Fatal(err)
		}
		if (procs > 0) != (i == active) {
			t.Errorf("%s runs %d plugin processes; only the active node (%s) should run the plugin", c.Nodes[i].Name, procs, c.Nodes[active].Name)
		}
	}
}

func waitUntil(t *testing.T, at time.Time) {
	t.Helper()
	if d := time.Until(at); d > 0 {
		time.Sleep(d)
	}
}

func firstError(outcomes []issueOutcome) string {
	for _, o := range outcomes {
		if o.Err != "" {
			return fmt.Sprintf("%s through node %d: %s", o.CN, o.Node+1, o.Err)
		}
	}
	return "none"
}

// ledger is the load's certificates counted on both sides.
type ledger struct {
	issuedByCommand, recordedInVault, unrecordedWithClientError, recordedDespiteError int
}

// reconcile compares Command's inventory of the load's certificates with Vault's records and
// the clients' outcomes: a certificate Command issued may be missing from Vault only when its
// client got an error, and every certificate a client received must be in both.
func reconcile(t *testing.T, c *realvault.Cluster, active int, outcomes []issueOutcome) ledger {
	t.Helper()
	inVault, commandCerts := loadInventories(t, c, active)
	byCN := map[string]issueOutcome{}
	for _, o := range outcomes {
		byCN[o.CN] = o
	}
	var l ledger
	inCommand := map[string]bool{}
	for _, cc := range commandCerts {
		l.issuedByCommand++
		key := serialKey(cc.SerialNumber)
		inCommand[key] = true
		o, sent := byCN[cc.IssuedCN]
		switch {
		case !sent:
			t.Errorf("Command holds %s (%s), which no client asked for", cc.IssuedCN, cc.SerialNumber)
		case inVault[key]:
			l.recordedInVault++
			if o.Err != "" {
				l.recordedDespiteError++
			}
		case o.Err != "":
			l.unrecordedWithClientError++
		default:
			t.Errorf("Command issued %s (%s) and its client got it, but Vault has no record of it", cc.IssuedCN, cc.SerialNumber)
		}
	}
	for _, o := range outcomes {
		if o.Err == "" && (!inVault[serialKey(o.Serial)] || !inCommand[serialKey(o.Serial)]) {
			t.Errorf("%s (%s) was answered to its client but is in Vault: %v, in Command: %v",
				o.CN, o.Serial, inVault[serialKey(o.Serial)], inCommand[serialKey(o.Serial)])
		}
	}
	return l
}

// loadInventories returns the serials Vault records (by serialKey) and Command's certificates
// for the load, revoked ones included.
func loadInventories(t *testing.T, c *realvault.Cluster, active int) (map[string]bool, []realvault.CommandCertificate) {
	t.Helper()
	var keys []string
	mustVaultJSON(t, c.Env(active), &keys, "list", haMount+"/certs")
	inVault := map[string]bool{}
	for _, s := range keys {
		inVault[serialKey(s)] = true
	}
	commandCerts, err := c.Env(active).CommandCertificates(context.Background(), `IssuedCN -startswith "load-"`)
	if err != nil {
		t.Fatal(err)
	}
	return inVault, commandCerts
}

// heldAtKill is how many enrollments Command has issued and not yet answered when the active
// node dies: certificates Command holds and the dying leader never records. Fewer than the
// load's clients, so the others keep the load going while these wait.
const heldAtKill = haLoadClients / 2

// holdEnrollments makes Command issue the next heldAtKill enrollments at once and hold their
// answers far beyond the kill, and returns once it has issued them.
func holdEnrollments(t *testing.T, c *realvault.Cluster, active int) {
	t.Helper()
	ctx := context.Background()
	env := c.Env(active)
	start, err := env.SimCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.InjectSimFault(ctx, commandtest.Fault{Endpoint: "POST /Enrollment/CSR", Times: heldAtKill, AnswerLatency: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		now, err := env.SimCounters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The faulted enrollments are the first heldAtKill after the injection; by the time twice
		// as many are counted they have been issued (one still signing would be issued anyway:
		// the simulator finishes what it has taken, only its answer waits).
		if now.Enrollments-start.Enrollments >= 2*heldAtKill {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d enrollments reached Command in a minute of load", now.Enrollments-start.Enrollments)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settleAfterFailover runs one reconciliation pass on the new active node. The intents of the
// issuances the killed leader sent to Command were written (and replicated) before Command was
// called, so the new leader settles them: each load certificate Command issued ends up recorded
// in Vault or revoked in Command (issue/'s orphan policy), and no intent stays pending.
func settleAfterFailover(t *testing.T, c *realvault.Cluster, active int, before ledger) {
	t.Helper()
	if before.unrecordedWithClientError < heldAtKill {
		t.Errorf("%d certificates issued without a record before reconciliation, want at least the %d held at the kill", before.unrecordedWithClientError, heldAtKill)
	}
	env := c.Env(active)
	const grace = time.Second
	mustVault(t, env, "write", haMount+"/config/reconcile", fmt.Sprintf("grace_period=%ds", int(grace.Seconds())))
	time.Sleep(grace + time.Second)
	pass := runReconcile(t, env, haMount)

	inVault, commandCerts := loadInventories(t, c, active)
	recorded, revoked, orphaned := 0, 0, 0
	for _, cc := range commandCerts {
		switch {
		case inVault[serialKey(cc.SerialNumber)]:
			recorded++
		case cc.CertState == commandCertStateRevoked:
			revoked++
		default:
			orphaned++
			t.Errorf("after reconciliation on %s, Command's %s (%s) is neither recorded in Vault nor revoked", c.Nodes[active].Name, cc.IssuedCN, cc.SerialNumber)
		}
	}
	if len(commandCerts) != before.issuedByCommand || recorded+revoked != before.recordedInVault+before.unrecordedWithClientError {
		t.Errorf("after reconciliation Command holds %d load certificates (%d recorded, %d revoked); before it, %d (%d recorded, %d unrecorded)",
			len(commandCerts), recorded, revoked, before.issuedByCommand, before.recordedInVault, before.unrecordedWithClientError)
	}
	var status vaultSecret
	mustVaultJSON(t, env, &status, "read", haMount+"/reconcile-status")
	if string(status.Data["intents_pending"]) != "0" {
		t.Errorf("intents still pending after reconciliation on the new active node: %s", status.Data["intents_pending"])
	}
	t.Logf("reconciliation on the new active node: %d issued without a record before it; pass %s; now %d recorded, %d revoked in Command, %d orphaned",
		before.unrecordedWithClientError, mustMarshal(t, pass), recorded, revoked, orphaned)
}

// periodicLogLines is the lines of a node's log about the mount's periodic work, for failure reports.
func periodicLogLines(log string) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "revocation sync") || strings.Contains(line, "rolling back") ||
			strings.Contains(line, "rollback") || strings.Contains(line, "tidy") || strings.Contains(line, "reconcile") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
