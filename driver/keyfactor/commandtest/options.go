package commandtest

import (
	"crypto/x509"
	"strings"
	"time"
)

// Option configures a Server.
type Option func(*options)

type options struct {
	profile         Profile
	apiPath         string
	inventory       *Inventory
	users           []User
	oauthClients    []OAuthClient
	staticTokens    []string
	tokenLifetime   time.Duration
	subjectHeader   bool
	clientCAs       *x509.CertPool
	clientCertUsers map[string]string
	addr            string
	metadataFields  []MetadataField
	http1Only       bool
}

func defaultOptions() options {
	return options{
		profile:       Profile25,
		apiPath:       DefaultAPIPath,
		users:         defaultUsers(),
		oauthClients:  defaultOAuthClients(),
		staticTokens:  []string{DefaultStaticToken},
		tokenLifetime: time.Hour,
		addr:          "127.0.0.1:0",
	}
}

// User is a Basic-auth identity. Domain may be empty; nil Permissions means all permissions.
type User struct {
	Domain, Username, Password string
	Permissions                []string
}

// OAuthClient is a client registered with the simulated identity provider. An empty Audience
// accepts any audience (or none); Scopes lists the scopes the client may request. nil
// Permissions means all permissions.
type OAuthClient struct {
	ClientID, ClientSecret string
	Audience               string
	Scopes                 []string
	Permissions            []string
}

// WithProfile selects the Command version to imitate (default Profile25).
func WithProfile(p Profile) Option { return func(o *options) { o.profile = p } }

// WithAPIPath sets the API path (default "KeyfactorAPI"); surrounding slashes are ignored.
func WithAPIPath(path string) Option {
	return func(o *options) {
		if p := strings.Trim(path, "/"); p != "" {
			o.apiPath = p
		}
	}
}

// WithInventory replaces the default inventory of CAs, templates, metadata fields and patterns.
func WithInventory(inv *Inventory) Option { return func(o *options) { o.inventory = inv } }

// WithUsers replaces the default Basic users.
func WithUsers(users ...User) Option {
	return func(o *options) { o.users = append([]User(nil), users...) }
}

// WithOAuthClients replaces the default OAuth client registrations.
func WithOAuthClients(clients ...OAuthClient) Option {
	return func(o *options) { o.oauthClients = append([]OAuthClient(nil), clients...) }
}

// WithStaticTokens replaces the default static bearer tokens (they never expire and hold all
// permissions).
func WithStaticTokens(tokens ...string) Option {
	return func(o *options) { o.staticTokens = append([]string(nil), tokens...) }
}

// WithTokenLifetime sets the lifetime of issued OAuth tokens (default 1h).
func WithTokenLifetime(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.tokenLifetime = d
		}
	}
}

// WithSubjectHeader prepends subject-header text before each PEM in enrollment answers, as
// Command does when asked to include the subject header.
func WithSubjectHeader(on bool) Option { return func(o *options) { o.subjectHeader = on } }

// WithClientCertAuth enables client-certificate authentication (TLS server only): a client
// certificate that chains to pool and whose subject CN is a key of identities authenticates as
// the Basic user named by the value (its permissions apply).
func WithClientCertAuth(pool *x509.CertPool, identities map[string]string) Option {
	return func(o *options) {
		o.clientCAs = pool
		o.clientCertUsers = make(map[string]string, len(identities))
		for cn, user := range identities {
			o.clientCertUsers[cn] = user
		}
	}
}

// WithoutHTTP2 makes a TLS server offer only HTTP/1.1 in ALPN, as Command on IIS 8.5 (Windows
// Server 2012 R2) or on an IIS 10 where HTTP/2 was switched off. By default a TLS server offers
// h2 first, as IIS 10 does (see setupTLS).
func WithoutHTTP2() Option { return func(o *options) { o.http1Only = true } }

// WithAddr sets the listen address (default 127.0.0.1:0).
func WithAddr(addr string) Option {
	return func(o *options) {
		if addr != "" {
			o.addr = addr
		}
	}
}
