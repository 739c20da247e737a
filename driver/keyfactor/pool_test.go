package keyfactor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// concurrentSignings signs n times from workers goroutines and fails the test on any error.
func concurrentSignings(t *testing.T, d *keyfactorDriver, workers, n int) {
	t.Helper()
	req := signRequest(t, "pool.example.com")
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if _, err := d.Sign(context.Background(), req); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent signing: %v", err)
	}
}

// max_connections bounds the connections to Command (token endpoint included): more concurrent
// signings than connections wait for one and reuse it instead of opening more.
// Over HTTP/2 the requests share one connection (streams), so the bound holds trivially; over
// HTTP/1.1 each request in flight needs its own connection.
func TestSimMaxConnectionsBoundsConnections(t *testing.T) {
	for _, proto := range httpProtocols {
		t.Run(proto.name, func(t *testing.T) {
			srv := startSim(t, commandtest.Profile25, nil, proto.opts...)
			d := simDriver(t, simConf(srv, authKindOAuth, nil, map[string]interface{}{"max_connections": 4}))
			concurrentSignings(t, d, 16, 160)
			c := srv.Counters()
			t.Logf("160 signings from 16 workers with max_connections=4: %d TCP connections, %d token requests", c.Connections, c.TokensIssued)
			if c.Enrollments != 160 {
				t.Errorf("enrollments %d, want 160", c.Enrollments)
			}
			if c.Connections < 1 || c.Connections > 4 {
				t.Errorf("TCP connections %d, want 1 to 4 (max_connections)", c.Connections)
			}
		})
	}
}

// With the default pool, waves of concurrent signings reuse the connections of the first wave:
// every connection that was open can wait idle for the next burst.
func TestSimDefaultPoolKeepsConnectionsAcrossBursts(t *testing.T) {
	const workers, waves = 16, 5
	// HTTP/1.1: over HTTP/2 one connection carries every request and there is no pool to size.
	srv := startSim(t, commandtest.Profile25, nil, commandtest.WithoutHTTP2())
	d := simDriver(t, simConf(srv, authKindOAuth, nil, nil))
	if d.settings.maxConns != DefaultMaxConnections {
		t.Fatalf("default pool %d, want %d", d.settings.maxConns, DefaultMaxConnections)
	}
	concurrentSignings(t, d, workers, workers)
	afterFirst := srv.Counters().Connections
	for i := 1; i < waves; i++ {
		concurrentSignings(t, d, workers, workers)
	}
	c := srv.Counters()
	t.Logf("%d waves of %d concurrent signings: %d TCP connections (%d after the first wave)", waves, workers, c.Connections, afterFirst)
	// A wave opens a connection only while the open ones are busy or not yet back in the pool,
	// so the total stays near the concurrency; a pool of 8 idle connections closed the surplus
	// after every wave and opened it again in the next (16 + 4×8 here).
	if c.Connections > 2*workers {
		t.Errorf("TCP connections %d after %d waves of %d, want at most %d", c.Connections, waves, workers, 2*workers)
	}
}

// A Command that offers HTTP/2 in TLS ALPN gets it, even though the driver brings its own TLS
// configuration and dialer (which switch Go's automatic HTTP/2 off unless forced back on).
func TestHTTP2WhenCommandOffersIt(t *testing.T) {
	var mu sync.Mutex
	var protos []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		protos = append(protos, r.Proto)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[]`))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	conf := basicConf(map[string]interface{}{"url": srv.URL, "timeout": 5, "command_cert_path": string(pemOf(srv.Certificate()))})
	d := simDriver(t, conf)
	_, _ = d.CheckConnection(context.Background()) // the answer's content does not matter here
	mu.Lock()
	defer mu.Unlock()
	if len(protos) == 0 {
		t.Fatal("the driver sent no request")
	}
	for _, p := range protos {
		if p != "HTTP/2.0" {
			t.Fatalf("requests used %v, want HTTP/2.0", protos)
		}
	}
}
