// Package keyfactor is the Driver (package cadriver) for Keyfactor Command: it signs CSRs,
// revokes certificates, and reads CA chains, CRLs and revocations made in Command over Command's
// REST API. It knows nothing of Vault (it imports cadriver, x/oauth2 and the standard library
// only); the engine decides what may be issued.
package keyfactor

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// keyfactorDriver is one configuration's connection to Command. It is safe for concurrent use;
// a new configuration gets a new driver.
type keyfactorDriver struct {
	settings  *settings
	client    *http.Client
	transport *http.Transport
	auth      authenticator

	chains *chainCache
	crls   *crlCache

	// leafCDPs remembers, per CA, the CRL distribution points seen in certificates it issued,
	// so the CRL of a CA can be fetched without searching Command's inventory.
	leafCDPsMu sync.Mutex
	leafCDPs   map[string][]string

	closed atomic.Bool
}

var (
	_ cadriver.Driver            = (*keyfactorDriver)(nil)
	_ cadriver.ConnectionChecker = (*keyfactorDriver)(nil)
	_ cadriver.DefaultCANamer    = (*keyfactorDriver)(nil)
	_ cadriver.RevocationLister  = (*keyfactorDriver)(nil)
	_ cadriver.Closer            = (*keyfactorDriver)(nil)
)

func newDriver(s *settings) (*keyfactorDriver, error) {
	client, transport, err := newHTTPClient(s)
	if err != nil {
		return nil, err
	}
	return &keyfactorDriver{
		settings:  s,
		client:    client,
		transport: transport,
		auth:      newAuthenticator(s, client),
		chains:    newChainCache(),
		crls:      newCRLCache(),
		leafCDPs:  map[string][]string{},
	}, nil
}

// DefaultCA is the CA used when a request names none.
func (d *keyfactorDriver) DefaultCA() string { return strings.TrimSpace(d.settings.cfg.CA) }

// Close releases idle connections and the cached token. Requests already running finish on
// their connections; those connections are closed when they become idle.
func (d *keyfactorDriver) Close() {
	d.closed.Store(true)
	if o, ok := d.auth.(*oauthTokens); ok {
		o.forget()
	}
	d.chains.clear()
	d.crls.clear()
	d.transport.CloseIdleConnections()
}

// afterCall closes connections a request returned to the pool after Close.
func (d *keyfactorDriver) afterCall() {
	if d.closed.Load() {
		d.transport.CloseIdleConnections()
	}
}

// caKey is the cache key of a CA name: its logical name, case-folded, so "host\CA" and "CA"
// share one entry.
func caKey(name string) string { return strings.ToLower(logicalName(name)) }

// logicalName strips the "HostName\" prefix of a CA name.
func logicalName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndex(name, `\`); i >= 0 {
		return name[i+1:]
	}
	return name
}

// normaliseCAName reads a CA name as the older Keyfactor plugin's users may have stored or typed
// it: its help told them to write "<hostname\\\\logical name>", and it stored what the shell
// passed, so a literal double backslash stands for the single separator.
func normaliseCAName(name string) string {
	return strings.ReplaceAll(strings.TrimSpace(name), `\\`, `\`)
}

// resolveCA is the CA a call should use: the one named, else the configured default.
func (d *keyfactorDriver) resolveCA(name string) (string, error) {
	if n := normaliseCAName(name); n != "" {
		if strings.Count(n, `\`) > 1 {
			return "", cadriver.Invalid(`ca "%s" must be "HostName\LogicalName" or "LogicalName"`, n)
		}
		return n, nil
	}
	if d.DefaultCA() == "" {
		return "", cadriver.Invalid("no CA named: the request names none and config sets no default ca")
	}
	return d.DefaultCA(), nil
}
