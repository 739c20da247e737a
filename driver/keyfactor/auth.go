package keyfactor

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// authenticator adds the driver's credentials to a request to Command.
type authenticator interface {
	// authorize sets the Authorization header (or nothing, for certificate authentication) and
	// returns the credential it used, so a 401 can invalidate exactly that one.
	authorize(ctx context.Context, req *http.Request) (credential string, err error)
	// renew reacts to a 401 for credential; it reports whether trying again can succeed.
	renew(credential string) bool
}

func newAuthenticator(s *settings, client *http.Client) authenticator {
	switch s.auth {
	case authBasic:
		return &basicAuth{user: s.basicUser, password: s.cfg.Password}
	case authOAuth:
		return newOAuthTokens(s, client)
	case authStaticToken:
		return staticTokenAuth{token: s.cfg.AccessToken}
	default:
		return certAuth{}
	}
}

type basicAuth struct{ user, password string }

func (b *basicAuth) authorize(_ context.Context, req *http.Request) (string, error) {
	req.SetBasicAuth(b.user, b.password)
	return "", nil
}
func (b *basicAuth) renew(string) bool { return false }

// staticTokenAuth sends a token obtained outside the plugin. It cannot be refreshed, so a 401
// is reported as is (the error says the token was rejected).
type staticTokenAuth struct{ token string }

func (s staticTokenAuth) authorize(_ context.Context, req *http.Request) (string, error) {
	req.Header.Set("Authorization", "Bearer "+s.token)
	return "", nil
}
func (s staticTokenAuth) renew(string) bool { return false }

// certAuth authenticates with the TLS client certificate configured on the transport.
type certAuth struct{}

func (certAuth) authorize(context.Context, *http.Request) (string, error) { return "", nil }
func (certAuth) renew(string) bool                                        { return false }

// oauthTokens fetches client-credentials tokens and reuses one until it nears expiry. The
// oauth2 package does the token request (scopes, audience, client authentication style); this
// type adds the caching that lets a 401 discard exactly the rejected token.
type oauthTokens struct {
	conf   *clientcredentials.Config
	client *http.Client

	mu      sync.Mutex // serialises fetches so concurrent calls share one token request
	current *oauth2.Token

	fetched atomic.Int64           // tokens fetched, for tests and diagnostics
	latest  atomic.Pointer[string] // last token fetched, read without the lock for redaction
}

func newOAuthTokens(s *settings, client *http.Client) *oauthTokens {
	conf := &clientcredentials.Config{
		ClientID:     s.cfg.ClientID,
		ClientSecret: s.cfg.ClientSecret,
		TokenURL:     s.tokenURL,
		Scopes:       s.cfg.Scopes,
	}
	if s.cfg.Audience != "" {
		conf.EndpointParams = url.Values{"audience": {s.cfg.Audience}}
	}
	return &oauthTokens{conf: conf, client: client}
}

func (o *oauthTokens) authorize(ctx context.Context, req *http.Request) (string, error) {
	tok, err := o.token(ctx)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return tok, nil
}

// token returns the cached token while oauth2 considers it valid (it treats a token as expired
// shortly before its expiry), else fetches a new one.
func (o *oauthTokens) token(ctx context.Context) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.current.Valid() {
		return o.current.AccessToken, nil
	}
	// The token request goes through the configuration's client: same trust roots, same
	// keep-alive pool, no ambient proxy.
	tok, err := o.conf.Token(context.WithValue(ctx, oauth2.HTTPClient, o.client))
	if err != nil {
		return "", &tokenError{err: err}
	}
	o.fetched.Add(1)
	o.current = tok
	access := tok.AccessToken
	o.latest.Store(&access)
	return tok.AccessToken, nil
}

func (o *oauthTokens) renew(credential string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.current != nil && o.current.AccessToken == credential {
		o.current = nil
	}
	return true
}

// forget drops the cached token (config replaced or deleted).
func (o *oauthTokens) forget() {
	o.mu.Lock()
	o.current = nil
	o.mu.Unlock()
}

// tokenError is a failed token request; its message is built by the caller with secrets
// redacted.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "token request failed: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }
