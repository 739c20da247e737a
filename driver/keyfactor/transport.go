package keyfactor

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"
)

// trustPool is the system roots plus the PEM certificates of command_cert_path. Adding to the
// system roots (instead of replacing them) keeps a publicly trusted token endpoint working next
// to a privately signed Command.
func trustPool(extraPEM []byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if len(extraPEM) > 0 && !pool.AppendCertsFromPEM(extraPEM) {
		return nil, fmt.Errorf("command_cert_path: no PEM certificate could be parsed")
	}
	return pool, nil
}

// HTTP/2 connection health checks. Over HTTP/2 every request to Command shares one connection,
// and Go's transport keeps sending new requests on a connection that died without a FIN or RST
// (a load balancer or firewall that dropped it silently) until the kernel gives up on it, minutes
// later, each request waiting for its timeout meanwhile (golang/go#36026). Over HTTP/1.1 that
// cannot last: a request that times out closes its own connection. So a connection that has
// received nothing for h2PingAfter is sent a PING and closed if no answer comes within
// h2PingTimeout; requests then move to a new connection. Kubernetes' API client uses the same
// values (kubernetes/kubernetes#95981). Variables for tests.
var (
	h2PingAfter   = 30 * time.Second
	h2PingTimeout = 15 * time.Second
)

// newHTTPClient builds the one keep-alive client a configuration uses for Command, its token
// endpoint and CRL distribution points. Timeouts per call come from the request context; the
// transport only bounds the phases that must never hang.
func newHTTPClient(s *settings) (*http.Client, *http.Transport, error) {
	pool, err := trustPool(s.extraCAs)
	if err != nil {
		return nil, nil, err
	}
	tlsConf := &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    pool,
		// skip_verify is an explicit operator choice, warned about when the config is written.
		InsecureSkipVerify: s.cfg.SkipVerify, //nolint:gosec
	}
	if s.clientTLS != nil {
		tlsConf.Certificates = []tls.Certificate{*s.clientTLS}
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		// No proxy from the environment: ambient process settings must not redirect a mounted
		// plugin's credentials.
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: 10 * time.Second,
		// Every connection that may be open can also wait idle: a pool smaller than the
		// concurrency closes connections after each burst and opens them again, a TLS handshake
		// each. Capping open connections protects Command from a burst of new ones.
		MaxIdleConns:          s.maxConns,
		MaxIdleConnsPerHost:   s.maxConns,
		MaxConnsPerHost:       s.maxConns,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// A custom TLS config and dialer turn Go's automatic HTTP/2 off; this turns it back on,
		// so one connection carries every concurrent request when Command offers h2 in ALPN.
		ForceAttemptHTTP2: true,
		HTTP2:             &http.HTTP2Config{SendPingTimeout: h2PingAfter, PingTimeout: h2PingTimeout},
	}
	client := &http.Client{
		Transport: transport,
		// Command never redirects API calls; following one could send credentials elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return client, transport, nil
}
