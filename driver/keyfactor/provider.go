package keyfactor

import (
	"encoding/json"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// provider builds Keyfactor drivers from the configuration the engine stores.
type provider struct{}

// NewProvider returns the Provider for Keyfactor Command.
func NewProvider() cadriver.Provider { return provider{} }

// DisplayName names the CA product in the engine's messages.
func (provider) DisplayName() string { return "Keyfactor Command" }

// ConfigFields are the original plugin's field names and meanings, plus client_cert/client_key
// for certificate authentication and timeout.
func (provider) ConfigFields() []cadriver.ConfigField {
	return []cadriver.ConfigField{
		{Name: "url", Kind: cadriver.FieldString, Description: `URL of Keyfactor Command without the API path, e.g. "https://command.example.com". A URL without scheme means https; plain http must be written out.`},
		{Name: "api_path", Kind: cadriver.FieldString, Default: DefaultAPIPath, Description: "Path of the REST API below url."},
		{Name: "ca", Kind: cadriver.FieldString, Description: `Default CA for requests that name none: "HostName\LogicalName" or "LogicalName".`},
		{Name: "template", Kind: cadriver.FieldString, Description: "Default certificate template (short name) for requests that name none; it must allow CSR enrollment on the CA."},
		{Name: "username", Kind: cadriver.FieldString, Description: `Basic authentication: user name ("user", "DOMAIN\user" or "user@domain").`},
		{Name: "password", Kind: cadriver.FieldString, Sensitive: true, Description: "Basic authentication: password."},
		{Name: "domain", Kind: cadriver.FieldString, Description: "Basic authentication: Active Directory domain of username."},
		{Name: "client_id", Kind: cadriver.FieldString, Description: "OAuth client credentials: client ID."},
		{Name: "client_secret", Kind: cadriver.FieldString, Sensitive: true, Description: "OAuth client credentials: client secret."},
		{Name: "token_url", Kind: cadriver.FieldString, Description: "OAuth client credentials: token endpoint URL."},
		{Name: "scopes", Kind: cadriver.FieldCommaList, Description: "OAuth client credentials: scopes to request (comma-separated); none means the client's defaults."},
		{Name: "audience", Kind: cadriver.FieldString, Description: "OAuth client credentials: audience sent with the token request."},
		{Name: "access_token", Kind: cadriver.FieldString, Sensitive: true, Description: "A bearer token obtained outside the plugin (it is not refreshed)."},
		{Name: "client_cert", Kind: cadriver.FieldString, Description: "Certificate authentication: client certificate (PEM, or a file path)."},
		{Name: "client_key", Kind: cadriver.FieldString, Sensitive: true, Description: "Certificate authentication: private key of client_cert (PEM, or a file path)."},
		{Name: "skip_verify", Kind: cadriver.FieldBool, Default: false, Description: "Do not verify Command's TLS certificate (unsafe; prefer command_cert_path)."},
		{Name: "command_cert_path", Kind: cadriver.FieldString, Description: "CA certificate(s) trusted for Command and the token endpoint in addition to the system roots: a file path or inline PEM."},
		{Name: "timeout", Kind: cadriver.FieldDuration, Default: int(DefaultTimeout.Seconds()), Description: "Time limit of one call to Command, retries included."},
		{Name: "max_connections", Kind: cadriver.FieldInt, Default: DefaultMaxConnections, Description: "Most connections open at once to Command (and to the token endpoint), all kept alive for reuse; requests beyond it wait for a free connection."},
	}
}

// NewDriver validates conf and builds a driver with its own HTTP client. It reads no
// environment variable and no file other than those conf names.
func (provider) NewDriver(conf json.RawMessage) (cadriver.Driver, []string, error) {
	cfg, warnings, err := decodeConfig(conf)
	if err != nil {
		return nil, nil, &cadriver.ValidationError{Message: err.Error()}
	}
	s, more, err := validateConfig(cfg)
	if err != nil {
		return nil, nil, &cadriver.ValidationError{Message: err.Error()}
	}
	d, err := newDriver(s)
	if err != nil {
		return nil, nil, &cadriver.ValidationError{Message: err.Error()}
	}
	return d, append(warnings, more...), nil
}
