package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicksPerSecond is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. Linux has exposed
// 100 to user space on every architecture Go supports since 2.6 (sysconf(_SC_CLK_TCK)).
const clockTicksPerSecond = 100

// procStat is the part of /proc/<pid>/stat the bench reads.
type procStat struct {
	comm     string
	ppid     int
	cpuTicks uint64 // utime + stime
}

func readProcStat(pid int) (procStat, error) {
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	// comm is in parentheses and may hold spaces; the fields after the last ')' are fixed.
	text := string(raw)
	open, closing := strings.IndexByte(text, '('), strings.LastIndexByte(text, ')')
	if open < 0 || closing < open {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(text[closing+1:])
	// fields[0] is state (field 3); ppid is field 4, utime 14, stime 15.
	if len(fields) < 13 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ppid, err1 := strconv.Atoi(fields[1])
	utime, err2 := strconv.ParseUint(fields[11], 10, 64)
	stime, err3 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unreadable numbers", pid)
	}
	return procStat{comm: text[open+1 : closing], ppid: ppid, cpuTicks: utime + stime}, nil
}

// cpuMillis is a process's user+system CPU time so far, in milliseconds (0 when pid is 0 or gone).
func cpuMillis(pid int) float64 {
	if pid == 0 {
		return 0
	}
	st, err := readProcStat(pid)
	if err != nil {
		return 0
	}
	return float64(st.cpuTicks) * 1000 / clockTicksPerSecond
}

// childNamed finds the child of parent whose command name is comm (Vault's plugin process).
func childNamed(parent int, comm string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil {
			continue
		}
		if st.ppid == parent && st.comm == comm {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process %q is a child of %d", comm, parent)
}

// rssMiB is the resident set size of pid (VmRSS in /proc/<pid>/status) in MiB.
func rssMiB(pid int) (float64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmRSS:") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			break
		}
		kib, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			return 0, err
		}
		return kib / 1024, nil
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
}

// machineDescription names the CPU model and count, for the report.
func machineDescription() string {
	model := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "model name") {
				if _, v, ok := strings.Cut(line, ":"); ok {
					model = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	return model
}

// Quiet: less than 5% of one core, over one-second windows.
const (
	quietWindow  = time.Second
	quietCPU     = 50 // ms of CPU per window, all pids together
	quietMaxWait = time.Minute
)

// waitQuiet waits until the processes together use less than quietCPU per quietWindow, so a
// measure that follows a fill starts once the fill's tail (work done after the last reply:
// intent removals, the collector) is over on every mount, not during it. It returns how long it
// waited and whether the processes became quiet within quietMaxWait.
func waitQuiet(ctx context.Context, pids ...int) (time.Duration, bool) {
	start := time.Now()
	total := func() float64 {
		var ms float64
		for _, pid := range pids {
			ms += cpuMillis(pid)
		}
		return ms
	}
	for time.Since(start) < quietMaxWait {
		before := total()
		select {
		case <-ctx.Done():
			return time.Since(start), false
		case <-time.After(quietWindow):
		}
		if total()-before < quietCPU {
			return time.Since(start), true
		}
	}
	return time.Since(start), false
}
