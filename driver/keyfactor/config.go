package keyfactor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultAPIPath is where Command serves its REST API unless an installation changed it.
const DefaultAPIPath = "KeyfactorAPI"

// DefaultTimeout bounds one driver call (including its retries) when the configuration sets none.
// Keyfactor's own tools default to 60 seconds.
const DefaultTimeout = 60 * time.Second

// DefaultMaxConnections is the connection pool per host (Command, the token endpoint) when the
// configuration sets none: above the concurrency one Vault node sends a mount in practice, so
// connections are reused instead of closed and re-opened (a TLS handshake each).
const DefaultMaxConnections = 64

// maxMaxConnections bounds max_connections: more open connections than this to one Command is
// a misconfiguration, not a pool.
const maxMaxConnections = 1024

// Config is the stored configuration: the JSON object the engine keeps at its config path.
// Field names are the ones the original Keyfactor plugin documented, so existing configurations
// carry over unchanged.
type Config struct {
	URL      string `json:"url"`
	APIPath  string `json:"api_path"`
	CA       string `json:"ca"`
	Template string `json:"template"`

	Username string `json:"username"`
	Password string `json:"password"`
	Domain   string `json:"domain"`

	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
	TokenURL     string    `json:"token_url"`
	Scopes       commaList `json:"scopes"`
	Audience     string    `json:"audience"`

	AccessToken string `json:"access_token"`

	ClientCert string `json:"client_cert"`
	ClientKey  string `json:"client_key"`

	SkipVerify      bool    `json:"skip_verify"`
	CommandCertPath string  `json:"command_cert_path"`
	Timeout         seconds `json:"timeout"`
	MaxConnections  int     `json:"max_connections"`
}

// decodeConfig turns the stored JSON object into a Config, with a warning naming any field the
// driver does not know. Errors name the field and never echo a value, since a value may be a
// secret (encoding/json's type errors name the field and the types only).
func decodeConfig(raw json.RawMessage) (*Config, []string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, nil, fmt.Errorf("invalid configuration: not a JSON object")
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, nil, fmt.Errorf("invalid configuration: %s", describeDecodeError(err))
	}
	cfg.CA = normaliseCAName(cfg.CA)
	known := map[string]bool{}
	for _, f := range (provider{}).ConfigFields() {
		known[f.Name] = true
	}
	var unknown []string
	for name := range fields {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	return &cfg, unknownFieldWarnings(unknown), nil
}

// describeDecodeError names the field a decoding error is about.
func describeDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("'%s' expected type '%s', got %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// unknownFieldWarnings names stored keys the driver does not know. They are reported, not
// rejected: the engine may keep keys of its own next to the driver's.
func unknownFieldWarnings(unused []string) []string {
	if len(unused) == 0 {
		return nil
	}
	names := append([]string(nil), unused...)
	sort.Strings(names)
	return []string{fmt.Sprintf("ignored unknown configuration field(s): %s", strings.Join(names, ", "))}
}

// seconds is a duration stored as a number of seconds (how the engine stores a duration field);
// a Go duration string such as "90s" or a numeric string is accepted too.
type seconds time.Duration

func (d *seconds) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = 0
		return nil
	}
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("timeout: not a number of seconds")
		}
		*d = seconds(f * float64(time.Second))
		return nil
	}
	s := strings.TrimSpace(text)
	if s == "" {
		*d = 0
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		*d = seconds(f * float64(time.Second))
		return nil
	}
	parsed, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("timeout: %q is neither seconds nor a duration like 30s", s)
	}
	*d = seconds(parsed)
	return nil
}

// commaList is a list stored as a JSON array of strings; one comma-separated string is
// accepted too.
type commaList []string

func (l *commaList) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err == nil {
		*l = splitCommaList(text)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("scopes: not a list of strings")
	}
	*l = list
	return nil
}

func splitCommaList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
