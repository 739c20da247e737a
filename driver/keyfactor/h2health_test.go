package keyfactor

import (
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// silentDropProxy forwards TCP connections to a backend. silence makes the connections it holds
// at that moment carry nothing more either way while staying open, as when a firewall or load
// balancer forgets a connection without telling either end; connections accepted later forward
// normally.
type silentDropProxy struct {
	ln      net.Listener
	backend string

	mu    sync.Mutex
	conns []net.Conn
	gates []*atomic.Bool // one per accepted connection: true once it is silenced
}

func startSilentDropProxy(t *testing.T, backend string) *silentDropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &silentDropProxy{ln: ln, backend: backend}
	t.Cleanup(p.close)
	go p.accept()
	return p
}

func (p *silentDropProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.backend)
		if err != nil {
			client.Close()
			continue
		}
		silenced := new(atomic.Bool)
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.gates = append(p.gates, silenced)
		p.mu.Unlock()
		go pipeUnlessSilenced(server, client, silenced)
		go pipeUnlessSilenced(client, server, silenced)
	}
}

// pipeUnlessSilenced copies src to dst; once silenced it reads and discards, so the sender sees
// an open connection that never answers.
func pipeUnlessSilenced(dst, src net.Conn, silenced *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !silenced.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// silence makes every connection open now go quiet.
func (p *silentDropProxy) silence() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, g := range p.gates {
		g.Store(true)
	}
}

func (p *silentDropProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// A Command connection that goes silent (no FIN, no RST) is found out by the HTTP/2 health check
// and replaced: the read sent on it fails when the unanswered PING closes it, and its retry
// goes out on a new connection, well within the call's timeout. Without the health check the read
// waits on the dead connection until the timeout, and so would every request after it.
func TestSilentlyDroppedHTTP2ConnectionIsReplaced(t *testing.T) {
	oldAfter, oldTimeout := h2PingAfter, h2PingTimeout
	h2PingAfter, h2PingTimeout = 300*time.Millisecond, 300*time.Millisecond
	t.Cleanup(func() { h2PingAfter, h2PingTimeout = oldAfter, oldTimeout })

	srv := startSim(t, commandtest.Profile25, nil)
	simURL, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startSilentDropProxy(t, simURL.Host)
	const timeout = 8 * time.Second
	d := simDriver(t, simConf(srv, authKindBasic, nil, map[string]interface{}{
		"url": "https://" + proxy.ln.Addr().String(), "timeout": timeout.String(),
	}))

	ca, err := d.resolveCA("")
	if err != nil {
		t.Fatal(err)
	}
	// lookupCAChain asks Command every time (CAChain would answer the second read from memory).
	if _, err := d.lookupCAChain(context.Background(), ca); err != nil {
		t.Fatalf("first read: %v", err)
	}
	if got := srv.Counters().Connections; got != 1 {
		t.Fatalf("%d connections before the drop, want 1", got)
	}
	proxy.silence()

	start := time.Now()
	chain, err := d.lookupCAChain(context.Background(), ca)
	elapsed := time.Since(start)
	if err != nil || len(chain) == 0 {
		t.Fatalf("read after the connection went silent: %v (after %s)", err, elapsed)
	}
	if elapsed > timeout/2 {
		t.Errorf("the read took %s: the dead connection was not replaced promptly", elapsed)
	}
	if got := srv.Counters().Connections; got != 2 {
		t.Errorf("%d connections, want 2 (the silenced one and its replacement)", got)
	}
}
