package main

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// runSim starts run() in the background and returns the decoded startup line and a stop func.
func runSim(t *testing.T, args ...string) (commandtest.Announcement, func() int) {
	t.Helper()
	pr, pw := io.Pipe()
	stop := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		code := run(args, pw, io.Discard, stop)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no startup line: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var info commandtest.Announcement
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("startup line %q: %v", line, err)
	}
	return info, func() int {
		stop <- os.Interrupt
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("commandsim did not stop")
			return -1
		}
	}
}

func TestCommandsimTLS(t *testing.T) {
	dir := t.TempDir()
	info, stop := runSim(t, "-state-dir", dir, "-profile", "11", "-username", "alice", "-password", "pw", "-domain", "CORP")
	defer func() {
		if code := stop(); code != 0 {
			t.Fatalf("exit code %d", code)
		}
	}()
	if !strings.HasPrefix(info.URL, "https://127.0.0.1:") || info.APIPath != "KeyfactorAPI" || info.Username != "alice" ||
		info.Domain != "CORP" || info.CA != `ca.kfpki.test\KFPKI-Issuing-CA` || info.Template != "WebServer" ||
		info.ClientID != commandtest.DefaultClientID || info.AccessToken != commandtest.DefaultStaticToken ||
		!strings.HasSuffix(info.AdminURL, "/_sim") || !strings.HasPrefix(info.TokenURL, info.URL) {
		t.Fatalf("startup info %+v", info)
	}
	if filepath.Dir(info.CABundle) != dir || filepath.Dir(info.RootCA) != dir {
		t.Fatalf("files not in the state dir: %s %s", info.CABundle, info.RootCA)
	}
	bundle, err := os.ReadFile(info.CABundle)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(bundle) {
		t.Fatal("CA bundle is not PEM")
	}
	rootPEM, _ := os.ReadFile(info.RootCA)
	if block, _ := pem.Decode(rootPEM); block == nil {
		t.Fatal("root PEM unreadable")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig(pool)}}
	req, _ := http.NewRequest("GET", info.URL+"/"+info.APIPath+"/Status/Endpoints", nil)
	req.SetBasicAuth(info.Domain+`\`+info.Username, info.Password)
	req.Header.Set("x-keyfactor-requested-with", "APIClient")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("x-keyfactor-product-version") != "11.6.0.0" {
		t.Fatalf("status %d version %q", resp.StatusCode, resp.Header.Get("x-keyfactor-product-version"))
	}
	resp, err = client.Get(info.AdminURL + "/counters")
	if err != nil {
		t.Fatal(err)
	}
	var counters commandtest.Counters
	_ = json.NewDecoder(resp.Body).Decode(&counters)
	resp.Body.Close()
	if counters.Requests["GET /Status/Endpoints"] != 1 {
		t.Fatalf("admin counters %+v", counters)
	}
}

// -http2 (default true) chooses between IIS 10 (HTTP/2 over TLS) and IIS 8.5 (HTTP/1.1 only).
func TestCommandsimHTTP2Flag(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		wantProto string
	}{
		{nil, "HTTP/2.0"},
		{[]string{"-http2=false"}, "HTTP/1.1"},
	} {
		info, stop := runSim(t, append([]string{"-state-dir", t.TempDir()}, tc.args...)...)
		bundle, err := os.ReadFile(info.CABundle)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(bundle)
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig(pool), ForceAttemptHTTP2: true}}
		resp, err := client.Get(info.AdminURL + "/counters")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if code := stop(); code != 0 {
			t.Fatalf("exit code %d", code)
		}
		if resp.StatusCode != 200 || resp.Proto != tc.wantProto {
			t.Fatalf("args %v: status %d over %s, want 200 over %s", tc.args, resp.StatusCode, resp.Proto, tc.wantProto)
		}
	}
}

func TestCommandsimPlainHTTP(t *testing.T) {
	info, stop := runSim(t, "-tls=false", "-api-path", "kf")
	defer stop()
	if !strings.HasPrefix(info.URL, "http://") || info.CABundle != "" || info.APIPath != "kf" || info.RootCA == "" {
		t.Fatalf("startup info %+v", info)
	}
	os.RemoveAll(filepath.Dir(info.RootCA))
}

func TestCommandsimBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown profile", []string{"-profile", "9"}, 1},
		{"unknown flag", []string{"-nope"}, 2},
		{"stray argument", []string{"extra"}, 2},
		{"empty password", []string{"-password", ""}, 2},
		{"missing inventory", []string{"-inventory", "/does/not/exist.json"}, 1},
		{"missing inventory by its deprecated name", []string{"-seed", "/does/not/exist.json"}, 1},
		{"inventory named twice, differently", []string{"-inventory", "a.json", "-seed", "b.json"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			if code := run(tt.args, io.Discard, &stderr, make(chan os.Signal)); code != tt.want {
				t.Fatalf("exit %d, want %d (%s)", code, tt.want, stderr.String())
			}
		})
	}
}

// An inventory file replaces the default inventory, under -inventory and under its deprecated
// name -seed, which still works and says it is deprecated.
func TestCommandsimInventoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "inventory.json")
	if err := os.WriteFile(path, []byte(`{"CAs":[{"HostName":"ca.inventory.test","LogicalName":"InventoryIssuing"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, flagName := range []string{"-inventory", "-seed"} {
		t.Run(flagName, func(t *testing.T) {
			var stderr strings.Builder
			c, err := parseFlags([]string{flagName, path}, &stderr)
			if err != nil || c.inventory != path {
				t.Fatalf("parseFlags(%s): inventory %q, err %v", flagName, c.inventory, err)
			}
			if deprecated := strings.Contains(stderr.String(), "-seed is deprecated"); deprecated != (flagName == "-seed") {
				t.Errorf("%s: stderr %q", flagName, stderr.String())
			}
			info, stop := runSim(t, "-tls=false", flagName, path)
			defer os.RemoveAll(filepath.Dir(info.RootCA))
			defer stop()
			if info.CA != `ca.inventory.test\InventoryIssuing` {
				t.Errorf("%s: the simulator's CA is %q, not the inventory file's", flagName, info.CA)
			}
		})
	}
}
