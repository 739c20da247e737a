// Command bench measures this plugin against Vault's built-in PKI engine and against Keyfactor
// Command alone, on a real Vault server, on this machine, in one run:
//
//   - native: Vault's `pki/` mount with an RSA-2048 issuing CA (the simulator's CA key type);
//   - plugin: this plugin at `kf/`, OAuth client credentials to the Command simulator;
//   - direct: the same CSR enrollment sent straight to the simulator (what Command alone costs).
//
// The targets are interleaved in rotating blocks so drift on a shared machine (other processes,
// thermal limits) spreads over all of them. It prints a Markdown table with the ratios
// plugin/native and plugin/direct and writes the same table as JSON. Everything listens on
// loopback and every process it starts is stopped at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
)

type settings struct {
	jsonPath       string
	latencyN       int
	latencyRSAN    int
	block          int
	warmup         int
	concurrency    int
	blocks         int
	blockDur       time.Duration
	expiryN        int
	listSizes      []int
	listSamples    int
	timeout        time.Duration
	listPopulateAt int
	commandHTTP1   bool
}

func parseSettings(args []string) (settings, error) {
	var s settings
	var sizes string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&s.jsonPath, "json", "bench.json", "where to write the table as JSON")
	fs.IntVar(&s.latencyN, "latency-n", 300, "requests per target for each EC latency measure (concurrency 1)")
	fs.IntVar(&s.latencyRSAN, "latency-rsa-n", 100, "requests per target for the RSA-2048 issue latency")
	fs.IntVar(&s.block, "block", 25, "requests per target before rotating to the next (latency)")
	fs.IntVar(&s.warmup, "warmup", 10, "unmeasured requests per target before each latency measure")
	fs.IntVar(&s.concurrency, "concurrency", 32, "concurrent clients for the throughput measure")
	fs.IntVar(&s.blocks, "blocks", 4, "rotating blocks per target for the throughput measure")
	fs.DurationVar(&s.blockDur, "block-duration", 5*time.Second, "length of one throughput block")
	fs.IntVar(&s.expiryN, "expiry-n", 320, "signs at full concurrency right after every OAuth token expired")
	fs.StringVar(&sizes, "list-sizes", "10000", "comma-separated record counts at which LIST certs/ is timed")
	fs.IntVar(&s.listSamples, "list-samples", 15, "LIST certs/ requests per mount and size")
	fs.IntVar(&s.listPopulateAt, "populate-concurrency", 64, "concurrent signs that fill the LIST mounts")
	fs.DurationVar(&s.timeout, "timeout", 45*time.Minute, "the whole run stops after this long")
	fs.BoolVar(&s.commandHTTP1, "command-http1", false, "the simulator speaks HTTP/1.1 only, as Command on IIS 8.5 (default: HTTP/2 over TLS, as on IIS 10)")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	for _, f := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1_000_000 {
			return s, fmt.Errorf("-list-sizes: %q is not a record count between 1 and 1000000", f)
		}
		s.listSizes = append(s.listSizes, n)
	}
	sort.Ints(s.listSizes)
	for name, v := range map[string]int{"latency-n": s.latencyN, "latency-rsa-n": s.latencyRSAN, "block": s.block,
		"concurrency": s.concurrency, "blocks": s.blocks, "list-samples": s.listSamples, "populate-concurrency": s.listPopulateAt} {
		if v < 1 || v > 100_000 {
			return s, fmt.Errorf("-%s must be between 1 and 100000", name)
		}
	}
	if s.blockDur <= 0 || s.blockDur > 10*time.Minute {
		return s, fmt.Errorf("-block-duration must be positive and at most 10m")
	}
	return s, nil
}

func main() {
	s, err := parseSettings(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	err = run(ctx, s)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, s settings) error {
	bins, err := realvault.BinariesFromEnv()
	if err != nil {
		return err
	}
	step("starting the Command simulator and a Vault dev server (plugin %s)", bins.Plugin)
	opts := realvault.Options{Binaries: bins}
	if s.commandHTTP1 {
		opts.SimArgs = []string{"-http2=false"}
	}
	env, err := realvault.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer env.Close()
	rep, err := measure(ctx, env, s)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, lastLines(env.Logs(), 40))
	}
	fmt.Println()
	rep.writeMarkdown(os.Stdout)
	if err := rep.writeJSON(s.jsonPath); err != nil {
		return err
	}
	fmt.Printf("\nJSON: %s\n", s.jsonPath)
	return nil
}

func measure(ctx context.Context, env *realvault.Env, s settings) (*report, error) {
	step("mounting native PKI at %s/ and %s/, the plugin at %s/ and %s/", nativeMount, nativeListMount, pluginMount, pluginListMount)
	if err := setupNative(env, nativeMount, nativeRootMount); err != nil {
		return nil, err
	}
	if err := setupNative(env, nativeListMount, nativeListRoot); err != nil {
		return nil, err
	}
	if err := setupPlugin(env, pluginMount); err != nil {
		return nil, err
	}
	if err := setupPlugin(env, pluginListMount); err != nil {
		return nil, err
	}
	pluginPID, err := childNamed(env.VaultPID(), realvault.PluginName)
	if err != nil {
		return nil, err
	}
	pool := 2 * max(s.concurrency, s.listPopulateAt)
	vc := newVaultClient(env, pool)
	cc, err := newCommandClient(ctx, env.Sim, pool)
	if err != nil {
		return nil, err
	}
	csrPEM, err := ecCSR()
	if err != nil {
		return nil, err
	}
	bodies, err := newRequestBodies(csrPEM)
	if err != nil {
		return nil, err
	}
	native := vaultTarget("native", vc, nativeMount, bodies)
	plugin := vaultTarget("plugin", vc, pluginMount, bodies)
	direct := directTarget(cc, csrPEM)
	m := &meter{pids: [procCount]int{env.VaultPID(), pluginPID, env.SimPID()}, cc: cc}

	host, _ := os.Hostname()
	rep := &report{
		Date:         time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Machine:      fmt.Sprintf("%s, %s", host, machineDescription()),
		CPUs:         runtime.NumCPU(),
		GoVersion:    runtime.Version(),
		PluginSHA256: env.PluginSHA256,
		Settings: map[string]any{
			"latency_n": s.latencyN, "latency_rsa_n": s.latencyRSAN, "block": s.block, "warmup": s.warmup,
			"concurrency": s.concurrency, "blocks": s.blocks, "block_duration": s.blockDur.String(),
			"expiry_n": s.expiryN, "list_sizes": s.listSizes, "list_samples": s.listSamples,
			"command_protocol": commandProtocol(s.commandHTTP1),
		},
	}

	// Latency at concurrency 1.
	for _, lm := range []struct {
		op      string
		n       int
		targets []*target
	}{
		{opSignEC, s.latencyN, []*target{native, plugin, direct}},
		{opIssueEC, s.latencyN, []*target{native, plugin}},
		{opIssueRSA, s.latencyRSAN, []*target{native, plugin}},
		{opReadRole, s.latencyN, []*target{native, plugin}},
		{opSignUnknownRole, s.latencyN, []*target{native, plugin}},
	} {
		step("%s at concurrency 1: %d requests per target, blocks of %d", lm.op, lm.n, s.block)
		lat, err := measureLatency(ctx, lm.op, lm.targets, lm.n, s.block, s.warmup)
		if err != nil {
			return nil, err
		}
		for _, p := range []float64{50, 95, 99} {
			rep.add(fmt.Sprintf("%s, concurrency 1, p%.0f", lm.op, p), "ms",
				latencyOf(lat, "native", p), latencyOf(lat, "plugin", p), latencyOf(lat, "direct", p))
		}
		if lm.op == opSignEC {
			added := percentile(lat["plugin"], 50) - percentile(lat["direct"], 50)
			rep.add("sign EC P-256, c=1: plugin-added p50 (plugin − direct) vs native p50", "ms",
				latencyOf(lat, "native", 50), value(added), nil)
		}
		if lm.op == opReadRole {
			// The same storage read in process and across the plugin boundary: the difference is
			// the floor under any plugin-added latency (the Vault↔plugin hop both ways plus one
			// storage round trip back into Vault), whatever the plugin does.
			floor := percentile(lat["plugin"], 50) - percentile(lat["native"], 50)
			rep.addWithoutRatios("read role, c=1: plugin − native p50 (the plugin hop and one storage round trip)", "ms",
				nil, value(floor), nil)
		}
		if lm.op == opSignUnknownRole {
			// A write adds Vault's existence-check round trip to the plugin. A sign pays both trips
			// and two storage writes (intent, record) besides its own work (README, Performance).
			floor := percentile(lat["plugin"], 50) - percentile(lat["native"], 50)
			rep.addWithoutRatios("sign with an unknown role, c=1: plugin − native p50 (two plugin hops, one storage round trip)", "ms",
				nil, value(floor), nil)
		}
	}

	// Throughput and cost at concurrency.
	step("%s at concurrency %d: %d blocks of %s per target", opSignEC, s.concurrency, s.blocks, s.blockDur)
	loads, err := measureThroughput(ctx, m, opSignEC, []*target{native, plugin, direct}, s.concurrency, s.blocks, s.blockDur)
	if err != nil {
		return nil, err
	}
	c := s.concurrency
	rep.add(fmt.Sprintf("sign EC P-256, concurrency %d", c), "req/s",
		value(loads["native"].perSecond()), value(loads["plugin"].perSecond()), value(loads["direct"].perSecond()))
	perRequest := func(l *load, procs ...int) *float64 {
		var ms float64
		for _, p := range procs {
			ms += l.cpuMS[p]
		}
		return value(ms / float64(l.requests))
	}
	for _, p := range []int{procVault, procPlugin, procSimulator} {
		rep.addWithoutRatios(fmt.Sprintf("%s CPU per sign, c=%d", procNames[p], c), "ms",
			perRequest(loads["native"], p), perRequest(loads["plugin"], p), perRequest(loads["direct"], p))
	}
	rep.add(fmt.Sprintf("Vault + plugin CPU per sign, c=%d", c), "ms",
		perRequest(loads["native"], procVault, procPlugin), perRequest(loads["plugin"], procVault, procPlugin), nil)
	per1000 := func(l *load, n int) *float64 { return value(float64(n) * 1000 / float64(l.requests)) }
	pl, dl := loads["plugin"], loads["direct"]
	rep.add(fmt.Sprintf("token requests per 1,000 signs, c=%d", c), "count", nil, per1000(pl, pl.calls.Tokens), per1000(dl, dl.calls.Tokens))
	rep.add(fmt.Sprintf("new TCP connections to Command per 1,000 signs, c=%d", c), "count", nil, per1000(pl, pl.calls.Connections), per1000(dl, dl.calls.Connections))
	rep.add(fmt.Sprintf("enrollments per 1,000 signs, c=%d", c), "count", nil, per1000(pl, pl.calls.Enrollments), per1000(dl, dl.calls.Enrollments))
	rep.add(fmt.Sprintf("other Command calls per 1,000 signs, c=%d", c), "count", nil, per1000(pl, pl.calls.Other), per1000(dl, dl.calls.Other))

	// A token that expires under load must be fetched again once, not once per waiting request.
	if s.expiryN > 0 {
		step("every OAuth token expired, then %d signs at concurrency %d", s.expiryN, c)
		if err := cc.expireTokens(ctx); err != nil {
			return nil, err
		}
		var expiry load
		if err := meterLoad(ctx, m, &expiry, func() (int, error) {
			return runConcurrent(ctx, plugin.ops[opSignEC], c, time.Time{}, s.expiryN)
		}); err != nil {
			return nil, fmt.Errorf("signs after token expiry: %w", err)
		}
		rep.add(fmt.Sprintf("token requests for %d signs at c=%d right after the token expired", s.expiryN, c), "count",
			nil, value(float64(expiry.calls.Tokens)), nil)
	}

	// LIST certs/ at scale, on mounts that hold exactly the same number of records.
	nativeList := vaultTarget("native", vc, nativeListMount, bodies)
	pluginList := vaultTarget("plugin", vc, pluginListMount, bodies)
	for _, size := range s.listSizes {
		for _, t := range []struct {
			target *target
			mount  string
		}{{nativeList, nativeListMount}, {pluginList, pluginListMount}} {
			have, err := vc.listCount(ctx, t.mount+"/certs")
			if err != nil {
				return nil, err
			}
			if have >= size {
				continue
			}
			step("filling %s/ to %d records: %d signs at concurrency %d", t.mount, size, size-have, s.listPopulateAt)
			start := time.Now()
			if _, err := runConcurrent(ctx, t.target.ops[opSignEC], s.listPopulateAt, time.Time{}, size-have); err != nil {
				return nil, fmt.Errorf("filling %s: %w", t.mount, err)
			}
			fmt.Printf("    %.0f signs/s\n", float64(size-have)/time.Since(start).Seconds())
		}
		waited, quiet := waitQuiet(ctx, env.VaultPID(), pluginPID)
		if !quiet {
			fmt.Printf("    Vault and the plugin still busy after %s; timing LIST anyway\n", waited.Round(time.Second))
		}
		step("LIST certs/ at %d records: %d requests per mount, interleaved (waited %s for Vault and the plugin to go quiet)",
			size, s.listSamples, waited.Round(100*time.Millisecond))
		lat := map[string][]time.Duration{}
		for i := 0; i < s.listSamples; i++ {
			for _, mount := range rotation2(nativeListMount, pluginListMount, i) {
				start := time.Now()
				if _, err := vc.call(ctx, "LIST", mount+"/certs", nil); err != nil {
					return nil, err
				}
				lat[mount] = append(lat[mount], time.Since(start))
			}
		}
		rep.add(fmt.Sprintf("LIST certs/ at %d records, p50", size), "ms",
			value(percentile(lat[nativeListMount], 50)), value(percentile(lat[pluginListMount], 50)), nil)
	}

	rss, err := rssMiB(pluginPID)
	if err != nil {
		return nil, err
	}
	rep.add("plugin RSS after the load", "MiB", nil, value(rss), nil)
	return rep, nil
}

func latencyOf(lat map[string][]time.Duration, name string, p float64) *float64 {
	ds, ok := lat[name]
	if !ok {
		return nil
	}
	return value(percentile(ds, p))
}

// rotation2 alternates which of two mounts goes first.
func rotation2(a, b string, i int) []string {
	if i%2 == 0 {
		return []string{a, b}
	}
	return []string{b, a}
}

func step(format string, args ...any) {
	fmt.Printf("==> %s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// commandProtocol names the HTTP version the simulator offers in this run.
func commandProtocol(http1Only bool) string {
	if http1Only {
		return "HTTP/1.1 (IIS 8.5)"
	}
	return "HTTP/2 (IIS 10)"
}
