package pkitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
)

// Provider builds Drivers of one Server from the config stored at pkicompat's config path.
type Provider struct {
	Server *Server
}

// Provider returns a pkicompat.Provider for s.
func (s *Server) Provider() *Provider { return &Provider{Server: s} }

// DisplayName is what the engine's messages call a Server's CA product.
const DisplayName = "PKITest"

// DisplayName names the CA product in the engine's messages.
func (p *Provider) DisplayName() string { return DisplayName }

// ConfigFields mirrors the shape of a real CA driver's configuration: a URL, a default CA and
// template, credentials (two of them sensitive) and a few typed knobs.
func (p *Provider) ConfigFields() []pkicompat.ConfigField {
	return []pkicompat.ConfigField{
		{Name: "url", Kind: pkicompat.FieldString, Description: "The CA's URL."},
		{Name: "ca", Kind: pkicompat.FieldString, Description: "The default CA."},
		{Name: "template", Kind: pkicompat.FieldString, Description: "The default template."},
		{Name: "username", Kind: pkicompat.FieldString, Description: "User name."},
		{Name: "password", Kind: pkicompat.FieldString, Description: "Password.", Sensitive: true},
		{Name: "client_secret", Kind: pkicompat.FieldString, Description: "OAuth client secret.", Sensitive: true},
		{Name: "scopes", Kind: pkicompat.FieldCommaList, Description: "OAuth scopes."},
		{Name: "timeout", Kind: pkicompat.FieldDuration, Description: "Request timeout.", Default: 30},
		{Name: "retries", Kind: pkicompat.FieldInt, Description: "Retries.", Default: 2},
		{Name: "skip_verify", Kind: pkicompat.FieldBool, Description: "Skip TLS verification.", Default: false},
	}
}

// config is the stored configuration; fields this Driver does not use are still declared so
// the engine's config path has typed knobs to test.
type config struct {
	URL      string `json:"url"`
	CA       string `json:"ca"`
	Template string `json:"template"`
	Password string `json:"password"`
	// SkipVerify only produces a warning.
	SkipVerify bool `json:"skip_verify"`
}

// NewDriver checks the url and builds a Driver from the configuration as stored.
func (p *Provider) NewDriver(conf json.RawMessage) (pkicompat.Driver, []string, error) {
	var c config
	if err := json.Unmarshal(conf, &c); err != nil {
		return nil, nil, fmt.Errorf("invalid configuration: %w", err)
	}
	if c.URL == "" {
		return nil, nil, errors.New("url is required")
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, nil, fmt.Errorf("url must be an https URL, got %q", c.URL)
	}
	d := &Driver{server: p.Server, ca: c.CA, template: c.Template, password: c.Password}
	var warnings []string
	if c.SkipVerify {
		warnings = append(warnings, "skip_verify is set: the CA's TLS certificate is not checked")
	}
	return d, warnings, nil
}
