package realvault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Shamir parameters of a cluster: three key shares, two needed to unseal, as an operator
// would split them among people. The test keeps all of them.
const (
	unsealKeyShares    = 3
	unsealKeyThreshold = 2
)

// ClusterOptions shape a Raft cluster.
type ClusterOptions struct {
	Binaries Binaries
	// Dir holds every node's data, plugin directory and configuration (a test's t.TempDir());
	// Close leaves it in place.
	Dir string
	// Nodes is the number of Vault servers (3 when zero).
	Nodes   int
	SimArgs []string
	// Log receives the processes' output as it happens (nil: kept for NodeLog and error reports).
	Log io.Writer
}

// Node is one Vault server of a Cluster, with its own data directory and its own copy of the
// plugin binary (same checksum on every node, as production needs).
type Node struct {
	Name        string // node1, node2, ...
	Addr        string // API address, http://127.0.0.1:port
	ClusterAddr string // Raft and request-forwarding address, https://127.0.0.1:port
	Dir         string
	PluginDir   string

	confPath string
	proc     *process
	// earlierOutput is what the node's previous processes printed (before a kill and restart).
	earlierOutput string
}

// Cluster is the simulator and a Vault cluster with integrated storage (Raft) on loopback:
// initialised with Shamir keys, every node joined and unsealed, the plugin registered by sha256
// (not yet enabled).
type Cluster struct {
	Nodes []*Node
	Sim   SimInfo
	// Token is the root token `vault operator init` answered; UnsealKeys its key shares.
	Token        string
	UnsealKeys   []string
	PluginSHA256 string

	base *Env // owns the simulator and the CLI's home directory
	opts ClusterOptions
}

// StartCluster starts the simulator and the Vault servers, initialises the first node, joins
// the others to it with `vault operator raft join`, unseals all of them and registers the
// plugin once through the cluster. On error everything already started is stopped.
func StartCluster(ctx context.Context, opts ClusterOptions) (_ *Cluster, err error) {
	if opts.Dir == "" {
		return nil, errors.New("ClusterOptions.Dir is required")
	}
	count := opts.Nodes
	if count == 0 {
		count = 3
	}
	base := &Env{Dir: opts.Dir, bins: opts.Binaries, home: filepath.Join(opts.Dir, "home")}
	c := &Cluster{base: base, opts: opts}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, c.logTails(40))
			c.Close()
		}
	}()
	if err := os.MkdirAll(base.home, 0o700); err != nil {
		return nil, err
	}
	if err := base.startSimulator(ctx, Options{SimArgs: opts.SimArgs, Log: opts.Log}); err != nil {
		return nil, err
	}
	c.Sim = base.Sim
	for i := 0; i < count; i++ {
		node, err := c.newNode(i)
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, node)
		if err := c.startNewNode(ctx, node); err != nil {
			return nil, err
		}
	}
	if err := c.initialize(); err != nil {
		return nil, err
	}
	if err := c.unseal(ctx, 0); err != nil {
		return nil, err
	}
	if _, err := c.WaitRoles(ctx, 2*time.Minute, 0); err != nil {
		return nil, err
	}
	leader := c.Nodes[0].Addr
	for i := 1; i < count; i++ {
		if _, err := c.Env(i).Vault("operator", "raft", "join", leader); err != nil {
			return nil, err
		}
		if err := c.unseal(ctx, i); err != nil {
			return nil, err
		}
		joined := make([]int, i+1)
		for k := range joined {
			joined[k] = k
		}
		if _, err := c.WaitRoles(ctx, 2*time.Minute, joined...); err != nil {
			return nil, err
		}
	}
	if err := c.waitVoters(ctx, 3*time.Minute); err != nil {
		return nil, err
	}
	if _, err := c.Env(0).Vault("plugin", "register", "-sha256="+c.PluginSHA256, "-command="+PluginName, "secret", PluginName); err != nil {
		return nil, err
	}
	return c, nil
}

// newNode prepares a node's directories and its copy of the plugin binary.
func (c *Cluster) newNode(i int) (*Node, error) {
	n := &Node{Name: "node" + strconv.Itoa(i+1), Dir: filepath.Join(c.opts.Dir, "node"+strconv.Itoa(i+1))}
	n.PluginDir = filepath.Join(n.Dir, "plugins")
	n.confPath = filepath.Join(n.Dir, "vault.json")
	for _, d := range []string{filepath.Join(n.Dir, "raft"), n.PluginDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	sum, err := copyExecutable(c.base.bins.Plugin, filepath.Join(n.PluginDir, PluginName))
	if err != nil {
		return nil, fmt.Errorf("installing the plugin binary on %s: %w", n.Name, err)
	}
	if c.PluginSHA256 == "" {
		c.PluginSHA256 = sum
	} else if sum != c.PluginSHA256 {
		return nil, fmt.Errorf("the plugin copy on %s has sha256 %s, the first node's has %s", n.Name, sum, c.PluginSHA256)
	}
	return n, nil
}

// startNewNode picks the node's ports and starts it; a port taken between choosing and
// binding gets another try with new ports.
func (c *Cluster) startNewNode(ctx context.Context, n *Node) error {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if err := n.writeConfig(); err != nil {
			return err
		}
		if lastErr = c.startNode(ctx, n); lastErr == nil {
			return nil
		}
	}
	return lastErr
}

// writeConfig writes the node's server configuration on fresh loopback ports: Raft storage in
// its own directory, one TCP listener, and the plugin directory.
func (n *Node) writeConfig() error {
	apiPort, err := freePort()
	if err != nil {
		return err
	}
	clusterPort, err := freePort()
	if err != nil {
		return err
	}
	apiHostPort := net.JoinHostPort("127.0.0.1", strconv.Itoa(apiPort))
	clusterHostPort := net.JoinHostPort("127.0.0.1", strconv.Itoa(clusterPort))
	n.Addr = "http://" + apiHostPort
	n.ClusterAddr = "https://" + clusterHostPort
	conf := map[string]interface{}{
		"storage": map[string]interface{}{
			"raft": map[string]interface{}{"path": filepath.Join(n.Dir, "raft"), "node_id": n.Name},
		},
		"listener": map[string]interface{}{
			// The API is plain HTTP on loopback; node-to-node traffic on the cluster port is
			// always mutual TLS with certificates Vault generates itself.
			"tcp": map[string]interface{}{"address": apiHostPort, "cluster_address": clusterHostPort, "tls_disable": true},
		},
		"api_addr":         n.Addr,
		"cluster_addr":     n.ClusterAddr,
		"disable_mlock":    true,
		"plugin_directory": n.PluginDir,
	}
	raw, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(n.confPath, raw, 0o600)
}

// startNode starts the node's server from its configuration and waits until its API answers
// (sealed or not).
func (c *Cluster) startNode(ctx context.Context, n *Node) error {
	p, err := startProcess(n.Name, c.base.bins.Vault, baseEnv(c.base.home), c.opts.Log,
		"server", "-config="+n.confPath, "-log-level=info")
	if err != nil {
		return err
	}
	if n.proc != nil {
		n.earlierOutput += n.proc.output()
	}
	n.proc = p
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("%s exited during start:\n%s", n.Name, p.output())
		}
		if _, err := c.health(ctx, n); err == nil {
			return nil
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	p.stop()
	return fmt.Errorf("%s's API did not answer within 90s:\n%s", n.Name, p.output())
}

// initialize runs `vault operator init` on the first node and keeps the keys and root token.
func (c *Cluster) initialize() error {
	var out struct {
		Keys      []string `json:"unseal_keys_b64"`
		RootToken string   `json:"root_token"`
	}
	if err := c.Env(0).VaultJSON(&out, "operator", "init",
		"-key-shares="+strconv.Itoa(unsealKeyShares), "-key-threshold="+strconv.Itoa(unsealKeyThreshold)); err != nil {
		return err
	}
	if len(out.Keys) != unsealKeyShares || out.RootToken == "" {
		return fmt.Errorf("vault operator init answered %d keys and a root token of %d characters", len(out.Keys), len(out.RootToken))
	}
	c.UnsealKeys, c.Token = out.Keys, out.RootToken
	return nil
}

// unseal submits the threshold of key shares to node i over HTTP (keys never appear on a
// command line). A node that has just joined may still answer sealed while it fetches the Raft
// data: WaitRoles is what tells when it serves.
func (c *Cluster) unseal(ctx context.Context, i int) error {
	env := c.Env(i)
	for _, key := range c.UnsealKeys[:unsealKeyThreshold] {
		status, _, body, err := env.Do(ctx, http.MethodPut, "sys/unseal", map[string]string{"key": key}, false)
		if err != nil {
			return fmt.Errorf("unsealing %s: %w", c.Nodes[i].Name, err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("unsealing %s: status %d: %s", c.Nodes[i].Name, status, body)
		}
		var state struct {
			Sealed bool `json:"sealed"`
		}
		if err := json.Unmarshal(body, &state); err != nil {
			return fmt.Errorf("unsealing %s: answer is not the seal status: %w", c.Nodes[i].Name, err)
		}
		if !state.Sealed {
			return nil
		}
	}
	return nil
}

// waitVoters waits until every node is a voting Raft peer: Vault's autopilot promotes a joined
// node only after it has been healthy for a while, and a cluster whose leader dies while the
// others are still non-voters cannot elect a new one.
func (c *Cluster) waitVoters(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		var peers struct {
			Data struct {
				Config struct {
					Servers []struct {
						NodeID string `json:"node_id"`
						Voter  bool   `json:"voter"`
					} `json:"servers"`
				} `json:"config"`
			} `json:"data"`
		}
		err := c.Env(0).VaultJSON(&peers, "operator", "raft", "list-peers")
		if err == nil {
			voters := 0
			for _, s := range peers.Data.Config.Servers {
				if s.Voter {
					voters++
				}
			}
			if voters == len(c.Nodes) {
				return nil
			}
			last = fmt.Sprintf("%d of %d peers vote: %+v", voters, len(c.Nodes), peers.Data.Config.Servers)
		} else {
			last = err.Error()
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return err
		}
	}
	return fmt.Errorf("not every node became a voting Raft peer within %v (last: %s)", timeout, last)
}

// Env addresses node i with the cluster's root token. The cluster owns the processes: the
// returned Env's Close does nothing.
func (c *Cluster) Env(i int) *Env {
	return &Env{
		Addr:         c.Nodes[i].Addr,
		Token:        c.Token,
		Sim:          c.Sim,
		PluginSHA256: c.PluginSHA256,
		Dir:          c.base.Dir,
		bins:         c.base.bins,
		home:         c.base.home,
		sim:          c.base.sim,
		borrowed:     true,
	}
}

// Live lists the nodes whose server process is running.
func (c *Cluster) Live() []int {
	var live []int
	for i, n := range c.Nodes {
		if n.proc != nil && !n.proc.exited() {
			live = append(live, i)
		}
	}
	return live
}

// NodeRole is what sys/health says a node is ("status N" for a code not named here).
type NodeRole string

const (
	RoleActive  NodeRole = "active"
	RoleStandby NodeRole = "standby"
	RoleSealed  NodeRole = "sealed"
)

// Role asks node i's sys/health what it is.
func (c *Cluster) Role(ctx context.Context, i int) (NodeRole, error) {
	return c.health(ctx, c.Nodes[i])
}

func (c *Cluster) health(ctx context.Context, n *Node) (NodeRole, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	env := &Env{Addr: n.Addr}
	status, _, _, err := env.Do(ctx, http.MethodGet, "sys/health", nil, false)
	if err != nil {
		return "", err
	}
	// sys/health's documented status codes.
	switch status {
	case http.StatusOK:
		return RoleActive, nil
	case http.StatusTooManyRequests:
		return RoleStandby, nil
	case http.StatusServiceUnavailable:
		return RoleSealed, nil
	default:
		return NodeRole("status " + strconv.Itoa(status)), nil
	}
}

// WaitRoles waits until exactly one of the given nodes (all live ones when none are given) is
// active and every other one is an unsealed standby that knows the active node (so it can
// forward to it), and returns the active node's index.
func (c *Cluster) WaitRoles(ctx context.Context, timeout time.Duration, nodes ...int) (int, error) {
	if len(nodes) == 0 {
		nodes = c.Live()
	}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		active, standbys := -1, 0
		var seen []string
		for _, i := range nodes {
			role, err := c.Role(ctx, i)
			if err != nil {
				seen = append(seen, c.Nodes[i].Name+": "+err.Error())
				continue
			}
			seen = append(seen, c.Nodes[i].Name+": "+string(role))
			switch role {
			case RoleActive:
				if active < 0 {
					active = i
				} else {
					active = -2 // two nodes claim to be active: wait for them to settle
				}
			case RoleStandby:
				standbys++
			}
		}
		if active >= 0 && standbys == len(nodes)-1 {
			lagging := c.standbysNotFollowing(ctx, nodes, active)
			if len(lagging) == 0 {
				return active, nil
			}
			seen = append(seen, "not yet following "+c.Nodes[active].Name+": "+strings.Join(lagging, ", "))
		}
		last = strings.Join(seen, ", ")
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return -1, err
		}
	}
	return -1, fmt.Errorf("no single active node with the others standing by within %v (last: %s)", timeout, last)
}

// standbysNotFollowing names the standbys among nodes whose sys/leader does not yet name the
// active node: until it does, a standby cannot forward requests to it.
func (c *Cluster) standbysNotFollowing(ctx context.Context, nodes []int, active int) []string {
	var lagging []string
	for _, i := range nodes {
		if i == active {
			continue
		}
		leader, err := c.leaderAddress(ctx, i)
		if err != nil || leader != c.Nodes[active].Addr {
			lagging = append(lagging, c.Nodes[i].Name)
		}
	}
	return lagging
}

// leaderAddress is the active node's API address as node i knows it (sys/leader).
func (c *Cluster) leaderAddress(ctx context.Context, i int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	status, _, body, err := c.Env(i).Do(ctx, http.MethodGet, "sys/leader", nil, false)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("sys/leader on %s: status %d", c.Nodes[i].Name, status)
	}
	var leader struct {
		LeaderAddress string `json:"leader_address"`
	}
	if err := json.Unmarshal(body, &leader); err != nil {
		return "", err
	}
	return leader.LeaderAddress, nil
}

// Kill ends node i and the plugin processes it started with SIGKILL, as a crashed machine
// ends: no seal, no step-down, no goodbye to the Raft peers.
func (c *Cluster) Kill(i int) {
	p := c.Nodes[i].proc
	if p == nil || p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Restart starts node i again from its configuration and data (it is still a Raft peer) and
// unseals it.
func (c *Cluster) Restart(ctx context.Context, i int) error {
	if err := c.startNode(ctx, c.Nodes[i]); err != nil {
		return err
	}
	return c.unseal(ctx, i)
}

// StepDown asks the active node i to give up being active.
func (c *Cluster) StepDown(i int) error {
	_, err := c.Env(i).Vault("operator", "step-down")
	return err
}

// NodeLog is what node i's server printed so far (its log, at info level).
func (c *Cluster) NodeLog(i int) string {
	n := c.Nodes[i]
	if n.proc == nil {
		return n.earlierOutput
	}
	return n.earlierOutput + n.proc.output()
}

// PluginProcesses counts the running processes of node i's plugin binary that belong to that
// node (its process group). Linux only: it reads /proc.
func (c *Cluster) PluginProcesses(i int) (int, error) {
	n := c.Nodes[i]
	if n.proc == nil || n.proc.exited() {
		return 0, nil
	}
	pgid := n.proc.cmd.Process.Pid
	binary, err := filepath.EvalSymlinks(filepath.Join(n.PluginDir, PluginName))
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	count := 0
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", entry.Name(), "exe"))
		if err != nil || exe != binary {
			continue // gone meanwhile, not ours to read, or another binary
		}
		if group, err := syscall.Getpgid(pid); err == nil && group == pgid {
			count++
		}
	}
	return count, nil
}

// Close stops every node (and with them their plugin processes) and the simulator. The data
// directory stays for the caller to remove.
func (c *Cluster) Close() {
	if c == nil {
		return
	}
	for i := len(c.Nodes) - 1; i >= 0; i-- {
		c.Nodes[i].proc.stop()
	}
	c.base.sim.stop()
}

// Logs returns what every node and the simulator printed, for failure reports.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for i, n := range c.Nodes {
		fmt.Fprintf(&b, "--- %s (%s) ---\n%s", n.Name, n.Addr, c.NodeLog(i))
	}
	if c.base.sim != nil {
		b.WriteString("--- commandsim ---\n" + c.base.sim.output())
	}
	return b.String()
}

// logTails is the last lines of every node's log, for errors during start.
func (c *Cluster) logTails(lines int) string {
	var b strings.Builder
	for i, n := range c.Nodes {
		log := strings.Split(strings.TrimRight(c.NodeLog(i), "\n"), "\n")
		if len(log) > lines {
			log = log[len(log)-lines:]
		}
		fmt.Fprintf(&b, "--- %s (last %d lines) ---\n%s\n", n.Name, len(log), strings.Join(log, "\n"))
	}
	return b.String()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
