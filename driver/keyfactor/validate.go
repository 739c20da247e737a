package keyfactor

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// authMethod is the one way the driver proves its identity to Command.
type authMethod int

const (
	authBasic authMethod = iota + 1
	authOAuth
	authStaticToken
	authClientCert
)

func (m authMethod) String() string {
	switch m {
	case authBasic:
		return "basic username/password"
	case authOAuth:
		return "OAuth client credentials"
	case authStaticToken:
		return "static access token"
	case authClientCert:
		return "client certificate"
	}
	return "none"
}

// authFieldGroup lists the config fields of one auth method: all of required must be set when
// any field of the group is.
type authFieldGroup struct {
	method   authMethod
	required []string
	optional []string
}

var authFieldGroups = []authFieldGroup{
	{method: authBasic, required: []string{"username", "password"}, optional: []string{"domain"}},
	{method: authOAuth, required: []string{"client_id", "client_secret", "token_url"}, optional: []string{"scopes", "audience"}},
	{method: authStaticToken, required: []string{"access_token"}},
	{method: authClientCert, required: []string{"client_cert", "client_key"}},
}

// settings is a validated configuration, ready to build a driver from.
type settings struct {
	cfg       *Config
	apiBase   *url.URL // scheme://host[:port]/<path prefix>/<api_path>
	tokenURL  string
	auth      authMethod
	basicUser string // the user name as sent in Basic auth (DOMAIN\user, user@domain or user)
	timeout   time.Duration
	maxConns  int // connections per host, open and idle
	clientTLS *tls.Certificate
	extraCAs  []byte // PEM from command_cert_path
}

// validateConfig checks a decoded configuration and returns what the driver needs, plus
// warnings for the writer. Errors name the field and the reason and never echo a secret.
func validateConfig(cfg *Config) (*settings, []string, error) {
	var warnings []string
	s := &settings{cfg: cfg}

	base, urlWarnings, err := buildAPIBase(cfg.URL, cfg.APIPath)
	if err != nil {
		return nil, nil, err
	}
	s.apiBase = base
	warnings = append(warnings, urlWarnings...)

	method, err := chooseAuthMethod(cfg)
	if err != nil {
		return nil, nil, err
	}
	s.auth = method

	switch method {
	case authBasic:
		user, err := basicUserName(cfg.Username, cfg.Domain)
		if err != nil {
			return nil, nil, err
		}
		s.basicUser = user
	case authOAuth:
		tokenURL, tokenWarnings, err := validateTokenURL(cfg.TokenURL)
		if err != nil {
			return nil, nil, err
		}
		s.tokenURL = tokenURL
		warnings = append(warnings, tokenWarnings...)
	case authClientCert:
		cert, err := loadClientCertificate(cfg.ClientCert, cfg.ClientKey)
		if err != nil {
			return nil, nil, err
		}
		s.clientTLS = cert
		if base.Scheme != "https" {
			return nil, nil, fmt.Errorf("client_cert: certificate authentication needs an https url")
		}
		warnings = append(warnings, clientCertAuthWarning)
	}

	if ca := strings.TrimSpace(cfg.CA); strings.Count(ca, `\`) > 1 {
		return nil, nil, fmt.Errorf(`ca: "%s" must be "HostName\LogicalName" or "LogicalName"`, ca)
	}

	switch {
	case time.Duration(cfg.Timeout) < 0:
		return nil, nil, fmt.Errorf("timeout: must not be negative")
	case time.Duration(cfg.Timeout) == 0:
		s.timeout = DefaultTimeout
	default:
		s.timeout = time.Duration(cfg.Timeout)
	}

	switch {
	case cfg.MaxConnections < 0 || cfg.MaxConnections > maxMaxConnections:
		return nil, nil, fmt.Errorf("max_connections: must be between 1 and %d (0 means the default, %d)", maxMaxConnections, DefaultMaxConnections)
	case cfg.MaxConnections == 0:
		s.maxConns = DefaultMaxConnections
	default:
		s.maxConns = cfg.MaxConnections
	}

	if cfg.CommandCertPath != "" {
		pemBytes, err := loadPEMSource("command_cert_path", cfg.CommandCertPath)
		if err != nil {
			return nil, nil, err
		}
		s.extraCAs = pemBytes
		if _, err := trustPool(pemBytes); err != nil {
			return nil, nil, err
		}
	}
	if cfg.SkipVerify {
		warnings = append(warnings, "skip_verify is set: the Command server's TLS certificate is not verified, so anyone on the network path can impersonate it and read the credentials; use command_cert_path instead")
		if cfg.CommandCertPath != "" {
			warnings = append(warnings, "command_cert_path has no effect while skip_verify is set")
		}
	}
	if cfg.CA == "" {
		warnings = append(warnings, "ca is not set: every request must name a CA")
	}
	if cfg.Template == "" {
		warnings = append(warnings, "template is not set: every request must name a template")
	}
	return s, warnings, nil
}

// chooseAuthMethod finds the single auth method the configuration sets, or explains what is
// missing or conflicting.
func chooseAuthMethod(cfg *Config) (authMethod, error) {
	set := map[string]bool{
		"username":      cfg.Username != "",
		"password":      cfg.Password != "",
		"domain":        cfg.Domain != "",
		"client_id":     cfg.ClientID != "",
		"client_secret": cfg.ClientSecret != "",
		"token_url":     cfg.TokenURL != "",
		"scopes":        len(cfg.Scopes) > 0,
		"audience":      cfg.Audience != "",
		"access_token":  cfg.AccessToken != "",
		"client_cert":   cfg.ClientCert != "",
		"client_key":    cfg.ClientKey != "",
	}
	var touched []authFieldGroup
	var touchedDesc []string
	for _, g := range authFieldGroups {
		var present []string
		for _, f := range append(append([]string(nil), g.required...), g.optional...) {
			if set[f] {
				present = append(present, f)
			}
		}
		if len(present) > 0 {
			touched = append(touched, g)
			touchedDesc = append(touchedDesc, fmt.Sprintf("%s (%s)", g.method, strings.Join(present, ", ")))
		}
	}
	switch len(touched) {
	case 0:
		return 0, fmt.Errorf("no authentication configured: set username and password (and optionally domain), or client_id, client_secret and token_url, or access_token, or client_cert and client_key")
	case 1:
	default:
		return 0, fmt.Errorf("conflicting authentication: fields of more than one method are set: %s; configure exactly one method (clear the others, e.g. password=\"\")", strings.Join(touchedDesc, "; "))
	}
	g := touched[0]
	var missing []string
	for _, f := range g.required {
		if !set[f] {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("%s authentication is incomplete: missing %s", g.method, strings.Join(missing, ", "))
	}
	return g.method, nil
}

// basicUserName is the account name sent in Basic auth. Command (IIS) accepts DOMAIN\user and
// user@domain; a bare user name relies on the server's default domain.
func basicUserName(username, domain string) (string, error) {
	username = strings.TrimSpace(username)
	domain = strings.TrimSpace(domain)
	if i := strings.Index(username, `\`); i >= 0 {
		named := username[:i]
		if i == 0 || i == len(username)-1 {
			return "", fmt.Errorf(`username: %q is not of the form DOMAIN\user`, username)
		}
		if domain != "" && !strings.EqualFold(domain, named) {
			return "", fmt.Errorf(`username and domain conflict: username names domain %q but domain is %q`, named, domain)
		}
		return username, nil
	}
	if strings.Contains(username, "@") {
		if domain != "" {
			return "", fmt.Errorf("username and domain conflict: username %q already names its domain; leave domain empty", username)
		}
		return username, nil
	}
	if strings.ContainsAny(domain, `\@`) {
		return "", fmt.Errorf("domain: %q must be a bare domain name", domain)
	}
	if domain != "" {
		return domain + `\` + username, nil
	}
	return username, nil
}

// buildAPIBase joins url and api_path into the API's base URL. A url without scheme means
// https; http must be spelled out. Slashes are normalised so no "//" or trailing-slash variant
// changes the result, and a url that already ends in the API path is not doubled.
func buildAPIBase(rawURL, apiPath string) (*url.URL, []string, error) {
	var warnings []string
	if err := validateAPIPath(apiPath); err != nil {
		return nil, nil, err
	}
	raw := strings.TrimSpace(rawURL)
	if raw == "" {
		return nil, nil, fmt.Errorf("url is required (for example https://command.example.com)")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("url: not a valid URL")
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "https":
	case "http":
		warnings = append(warnings, "url uses plain http: credentials and certificates travel unencrypted")
	default:
		return nil, nil, fmt.Errorf("url: scheme %q is not supported; use https", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, nil, fmt.Errorf("url: no host name")
	}
	if u.User != nil {
		return nil, nil, fmt.Errorf("url: must not contain credentials; use the auth fields")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, nil, fmt.Errorf("url: must not contain a query or fragment")
	}

	prefix := pathSegments(u.Path)
	api := pathSegments(apiPath)
	if len(api) == 0 {
		api = []string{DefaultAPIPath}
	}
	if !hasSegmentSuffix(prefix, api) {
		prefix = append(prefix, api...)
	} else if strings.TrimSpace(apiPath) == "" {
		warnings = append(warnings, "url already ends with the API path; it is not appended again")
	}
	base := &url.URL{Scheme: scheme, Host: u.Host}
	base = base.JoinPath(prefix...)
	return base, warnings, nil
}

func pathSegments(p string) []string {
	var out []string
	for _, seg := range strings.Split(p, "/") {
		if seg = strings.TrimSpace(seg); seg != "" {
			out = append(out, seg)
		}
	}
	return out
}

func hasSegmentSuffix(segs, suffix []string) bool {
	if len(suffix) > len(segs) {
		return false
	}
	off := len(segs) - len(suffix)
	for i, s := range suffix {
		if !strings.EqualFold(segs[off+i], s) {
			return false
		}
	}
	return true
}

func validateTokenURL(raw string) (string, []string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", nil, fmt.Errorf("token_url: not a valid URL")
	}
	var warnings []string
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		warnings = append(warnings, "token_url uses plain http: the client secret travels unencrypted")
	default:
		return "", nil, fmt.Errorf("token_url: must be an https URL")
	}
	if u.Hostname() == "" {
		return "", nil, fmt.Errorf("token_url: no host name")
	}
	if u.User != nil {
		return "", nil, fmt.Errorf("token_url: must not contain credentials")
	}
	return u.String(), warnings, nil
}

// loadClientCertificate parses the certificate and key for certificate authentication. Each may
// be inline PEM or a file path. Errors never include the key material.
func loadClientCertificate(certSrc, keySrc string) (*tls.Certificate, error) {
	certPEM, err := loadPEMSource("client_cert", certSrc)
	if err != nil {
		return nil, err
	}
	keyPEM, err := loadPEMSource("client_key", keySrc)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("client_cert/client_key: not a matching PEM certificate and private key")
	}
	return &pair, nil
}
