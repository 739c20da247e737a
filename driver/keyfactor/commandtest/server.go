package commandtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server is a running simulated Keyfactor Command.
type Server struct {
	URL     string // scheme://127.0.0.1:port, no path
	APIPath string // e.g. "KeyfactorAPI"

	opts     options
	profile  Profile
	listener net.Listener
	http     *http.Server
	client   *http.Client
	tlsCA    *x509.Certificate
	tlsCAPEM []byte

	store    *store
	auth     *authenticator
	faults   faultSet
	counters *counterSet

	closeOnce sync.Once
}

// NewServer starts a plain-HTTP server on 127.0.0.1:0. Like httptest.NewServer it panics only
// when it cannot listen or build its CA.
func NewServer(opts ...Option) *Server { return mustStart(false, opts) }

// NewTLSServer starts an HTTPS server whose certificate is signed by its own TLS CA
// (TLSCABundlePEM); Client trusts it.
func NewTLSServer(opts ...Option) *Server { return mustStart(true, opts) }

// Start is NewServer (useTLS false) or NewTLSServer (true) returning an error instead of
// panicking, for processes such as cmd/commandsim.
func Start(useTLS bool, opts ...Option) (*Server, error) { return start(useTLS, opts) }

func mustStart(useTLS bool, opts []Option) *Server {
	s, err := start(useTLS, opts)
	if err != nil {
		panic(fmt.Sprintf("commandtest: %v", err))
	}
	return s
}

func start(useTLS bool, opts []Option) (*Server, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if !o.profile.valid() {
		return nil, fmt.Errorf("unknown profile %d", o.profile)
	}
	inv := o.inventory
	if inv == nil {
		inv = DefaultInventory()
	}
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	s := &Server{
		APIPath:  o.apiPath,
		opts:     o,
		profile:  o.profile,
		counters: newCounterSet(),
	}
	s.auth = newAuthenticator(&o)
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	s.URL = (&url.URL{Scheme: scheme, Host: urlHost(ln.Addr())}).String()

	if s.store, err = buildStore(inv, s.URL, time.Now()); err != nil {
		ln.Close()
		return nil, err
	}
	if err := s.store.addMetadataFields(o.metadataFields); err != nil {
		ln.Close()
		return nil, err
	}
	s.listener = &countingListener{Listener: ln, counters: s.counters}
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 30 * time.Second,
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if useTLS {
		tlsConf, err := s.setupTLS(ln.Addr())
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.listener = tls.NewListener(s.listener, tlsConf)
		pool := x509.NewCertPool()
		pool.AddCert(s.tlsCA)
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	s.client = &http.Client{Transport: transport, Timeout: 60 * time.Second}
	go func() { _ = s.http.Serve(s.listener) }()
	return s, nil
}

// urlHost renders the listen address as a URL host, using 127.0.0.1 for an unspecified IP.
func urlHost(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// setupTLS creates the TLS CA and the server certificate.
//
// ALPN offers h2 before http/1.1 unless WithoutHTTP2. Command's API is an IIS application, and
// IIS 10 (Windows Server 2016 and later) negotiates HTTP/2 on every TLS binding by default, with
// no setting to turn on; IIS 8.5 and earlier speak only HTTP/1.1 (Microsoft, "HTTP/2 on IIS",
// learn.microsoft.com/iis/get-started/whats-new-in-iis-10/http2-on-iis). Plain HTTP stays
// HTTP/1.1: IIS does not serve HTTP/2 without TLS (same page).
// Inferred: stream and window limits are Go's defaults; IIS's own values are not documented
// where we could find them, and no client of ours depends on them.
func (s *Server) setupTLS(addr net.Addr) (*tls.Config, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caSerial, err := randomSerial(false)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial,
		Subject:               pkix.Name{CommonName: "KFPKI Simulator TLS CA", Organization: []string{simOrganization}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, err
	}
	if s.tlsCA, err = x509.ParseCertificate(caDER); err != nil {
		return nil, err
	}
	s.tlsCAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial(false)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{simOrganization}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP != nil && !tcp.IP.IsUnspecified() && !tcp.IP.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, tcp.IP)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.tlsCA, key.Public(), caKey)
	if err != nil {
		return nil, err
	}
	conf := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der, caDER}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
	}
	if s.opts.http1Only {
		conf.NextProtos = []string{"http/1.1"}
	}
	if s.opts.clientCAs != nil {
		conf.ClientCAs = s.opts.clientCAs
		conf.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return conf, nil
}

// Close stops the server and closes its connections.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		_ = s.http.Close()
		s.client.CloseIdleConnections()
	})
}

// APIURL is URL joined with APIPath.
func (s *Server) APIURL() string {
	u, err := url.JoinPath(s.URL, s.APIPath)
	if err != nil {
		return s.URL + "/" + s.APIPath
	}
	return u
}

// TokenURL is the OAuth2 client-credentials endpoint (outside the API path).
func (s *Server) TokenURL() string {
	u, err := url.JoinPath(s.URL, tokenPath)
	if err != nil {
		return ""
	}
	return u
}

// AdminURL is the base of the /_sim/ admin endpoint.
func (s *Server) AdminURL() string {
	u, err := url.JoinPath(s.URL, "_sim")
	if err != nil {
		return ""
	}
	return u
}

// CRLURL is where the named CA's CRL is served ("" if the CA is unknown).
func (s *Server) CRLURL(logicalName string) string {
	ca := s.store.findCAByCertName(logicalName)
	if ca == nil {
		return ""
	}
	return ca.crlURL
}

// TLSCABundlePEM is the PEM of the CA that signed the HTTPS certificate (nil for plain HTTP).
func (s *Server) TLSCABundlePEM() []byte {
	if s.tlsCAPEM == nil {
		return nil
	}
	return append([]byte(nil), s.tlsCAPEM...)
}

// Client returns an HTTP client that trusts the server.
func (s *Server) Client() *http.Client { return s.client }

// Profile is the Command version the server imitates.
func (s *Server) Profile() Profile { return s.profile }

// RootCertificate is the root of the issuing hierarchy.
func (s *Server) RootCertificate() *x509.Certificate { return s.store.root.cert }

// RootCertificatePEM is the root of the issuing hierarchy as PEM.
func (s *Server) RootCertificatePEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.store.root.cert.Raw})
}

// DefaultCAName is the inventory's first issuing CA as "host\logical" (the enrollment form).
func (s *Server) DefaultCAName() string { return s.store.cas[0].qualifiedName() }

// CACertificate returns the issuing CA whose logical name (or host\logical) is given, or nil.
func (s *Server) CACertificate(logicalName string) *x509.Certificate {
	if ca := s.store.findCA(logicalName); ca != nil {
		return ca.cert
	}
	return nil
}

// CAKeyPair returns an issuing CA's certificate and key. It is a test escape hatch: it lets the
// compatibility suite import the same issuing CA into Vault's native PKI.
func (s *Server) CAKeyPair(logicalName string) (*x509.Certificate, crypto.Signer) {
	if ca := s.store.findCA(logicalName); ca != nil {
		return ca.cert, ca.key
	}
	return nil, nil
}

// Counters returns a snapshot of the counters.
func (s *Server) Counters() Counters { return s.counters.snapshot() }

// ResetCounters sets every counter to zero.
func (s *Server) ResetCounters() { s.counters.reset() }

// InjectFault adds a fault; faults apply in the order injected.
func (s *Server) InjectFault(f Fault) { s.faults.add(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

// ExpireTokens makes every issued OAuth token invalid now (static tokens are unaffected).
func (s *Server) ExpireTokens() { s.auth.expireAll() }

// serveHTTP dispatches the simulator's top-level paths: the API, the token endpoint, CRLs and
// the admin endpoint.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/_sim" || strings.HasPrefix(path, "/_sim/"):
		s.serveAdmin(w, r, strings.TrimPrefix(path, "/_sim"))
		return
	case path == tokenPath:
		s.serveToken(w, r)
		return
	case hasPrefixFold(path, "/CRL/"):
		s.serveCRL(w, r, path[len("/CRL/"):])
		return
	}
	prefix := "/" + s.APIPath
	if hasPrefixFold(path, prefix) && (len(path) == len(prefix) || path[len(prefix)] == '/') {
		s.serveAPI(w, r, path[len(prefix):])
		return
	}
	w.Header().Set("x-keyfactor-product-version", s.profile.productVersion())
	writeError(w, http.StatusNotFound, codeNotFound, "The requested resource was not found.")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
