package commandtest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// identity is an authenticated caller.
type identity struct {
	name        string   // shown in 403 messages, e.g. KEYFACTOR\vault-svc
	permissions []string // nil = all
}

func (id *identity) allowed(perm string) bool {
	if perm == "" || id.permissions == nil {
		return true
	}
	for _, p := range id.permissions {
		if strings.EqualFold(p, perm) {
			return true
		}
	}
	return false
}

type issuedToken struct {
	client  OAuthClient
	expires time.Time
}

// authenticator holds the identities and the tokens issued by the simulated IdP.
type authenticator struct {
	users     []User
	clients   []OAuthClient
	static    []string
	lifetime  time.Duration
	certUsers map[string]string

	mu     sync.Mutex
	tokens map[string]issuedToken
}

func newAuthenticator(o *options) *authenticator {
	return &authenticator{
		users:     o.users,
		clients:   o.oauthClients,
		static:    o.staticTokens,
		lifetime:  o.tokenLifetime,
		certUsers: o.clientCertUsers,
		tokens:    map[string]issuedToken{},
	}
}

func secretEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// authenticate returns the caller's identity, or nil when the credentials are missing or wrong.
func (a *authenticator) authenticate(r *http.Request, profile Profile, now time.Time) *identity {
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, cred, _ := strings.Cut(authz, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		user, pass, ok := r.BasicAuth()
		if !ok {
			return nil
		}
		return a.basic(user, pass)
	case strings.EqualFold(scheme, "Bearer"):
		if !profile.bearerAuth() {
			return nil // Command 10 only knows Active Directory identities
		}
		return a.bearer(strings.TrimSpace(cred), now)
	case authz == "":
		return a.clientCert(r)
	}
	return nil
}

// splitAccount turns DOMAIN\user or user@domain into its parts.
func splitAccount(account string) (domain, user string) {
	if d, u, ok := strings.Cut(account, `\`); ok {
		return d, u
	}
	if u, d, ok := strings.Cut(account, "@"); ok {
		return d, u
	}
	return "", account
}

func (a *authenticator) basic(account, password string) *identity {
	domain, username := splitAccount(account)
	for _, u := range a.users {
		if !strings.EqualFold(u.Username, username) {
			continue
		}
		// A domain given must be the user's (NetBIOS name, or the DNS name's first label for
		// user@dns.name); a plain user name is matched without a domain, as IIS Basic does
		// with a default logon domain.
		if domain != "" && !strings.EqualFold(domain, u.Domain) {
			first, _, _ := strings.Cut(domain, ".")
			if !strings.EqualFold(first, u.Domain) {
				continue
			}
		}
		if !secretEqual(u.Password, password) {
			return nil
		}
		return userIdentity(u)
	}
	return nil
}

func userIdentity(u User) *identity {
	name := u.Username
	if u.Domain != "" {
		name = u.Domain + `\` + u.Username
	}
	return &identity{name: name, permissions: u.Permissions}
}

func (a *authenticator) bearer(token string, now time.Time) *identity {
	if token == "" {
		return nil
	}
	for i, t := range a.static {
		if secretEqual(t, token) {
			return &identity{name: "static-token-" + strconv.Itoa(i+1)}
		}
	}
	a.mu.Lock()
	issued, ok := a.tokens[token]
	a.mu.Unlock()
	if !ok || !now.Before(issued.expires) {
		return nil
	}
	return &identity{name: issued.client.ClientID, permissions: issued.client.Permissions}
}

// clientCert authenticates by a verified TLS client certificate whose CN is mapped to a user.
// Inferred: no Keyfactor document or client shows KeyfactorAPI accepting client certificates;
// this imitates an IIS site configured with client-certificate mapping, which is the only way
// the plugin's client_cert option can work, and is off unless WithClientCertAuth is given.
func (a *authenticator) clientCert(r *http.Request) *identity {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(a.certUsers) == 0 {
		return nil
	}
	cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
	username, ok := a.certUsers[cn]
	if !ok {
		return nil
	}
	for _, u := range a.users {
		if strings.EqualFold(u.Username, username) {
			return userIdentity(u)
		}
	}
	return nil
}

// issueToken creates an access token for client.
func (a *authenticator) issueToken(client OAuthClient, now time.Time) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	a.mu.Lock()
	defer a.mu.Unlock()
	// Drop expired tokens so a long benchmark does not grow the map without bound.
	for t, it := range a.tokens {
		if !now.Before(it.expires) {
			delete(a.tokens, t)
		}
	}
	a.tokens[token] = issuedToken{client: client, expires: now.Add(a.lifetime)}
	return token, nil
}

func (a *authenticator) expireAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokens = map[string]issuedToken{}
}

// findClient checks client credentials against the registrations.
func (a *authenticator) findClient(id, secret string) (OAuthClient, bool) {
	for _, c := range a.clients {
		if c.ClientID == id && secretEqual(c.ClientSecret, secret) {
			return c, true
		}
	}
	return OAuthClient{}, false
}
