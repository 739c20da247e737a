package pkitest

import (
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

// NewDriver checks the url and builds a Driver. Values arrive as stored (JSON-decoded).
func (p *Provider) NewDriver(conf map[string]interface{}) (pkicompat.Driver, []string, error) {
	text := func(name string) (string, error) {
		v, ok := conf[name]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("%s must be a string, got %T", name, v)
		}
		return s, nil
	}
	raw, err := text("url")
	if err != nil {
		return nil, nil, err
	}
	if raw == "" {
		return nil, nil, errors.New("url is required")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, nil, fmt.Errorf("url must be an https URL, got %q", raw)
	}
	d := &Driver{server: p.Server}
	if d.ca, err = text("ca"); err != nil {
		return nil, nil, err
	}
	if d.template, err = text("template"); err != nil {
		return nil, nil, err
	}
	if d.password, err = text("password"); err != nil {
		return nil, nil, err
	}
	var warnings []string
	if v, ok := conf["skip_verify"].(bool); ok && v {
		warnings = append(warnings, "skip_verify is set: the CA's TLS certificate is not checked")
	}
	return d, warnings, nil
}
