package keyfactor

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mitchellh/mapstructure"
)

// DefaultAPIPath is where Command serves its REST API unless an installation changed it.
const DefaultAPIPath = "KeyfactorAPI"

// DefaultTimeout bounds one driver call (including its retries) when the configuration sets none.
// Keyfactor's own tools default to 60 seconds.
const DefaultTimeout = 60 * time.Second

// Config is the stored configuration, decoded from the map pkicompat keeps at its config path.
// Field names are the ones the original Keyfactor plugin documented, so existing configurations
// carry over unchanged.
type Config struct {
	URL      string `mapstructure:"url"`
	APIPath  string `mapstructure:"api_path"`
	CA       string `mapstructure:"ca"`
	Template string `mapstructure:"template"`

	Username string `mapstructure:"username"`
	Password string `mapstructure:"password"`
	Domain   string `mapstructure:"domain"`

	ClientID     string   `mapstructure:"client_id"`
	ClientSecret string   `mapstructure:"client_secret"`
	TokenURL     string   `mapstructure:"token_url"`
	Scopes       []string `mapstructure:"scopes"`
	Audience     string   `mapstructure:"audience"`

	AccessToken string `mapstructure:"access_token"`

	ClientCert string `mapstructure:"client_cert"`
	ClientKey  string `mapstructure:"client_key"`

	SkipVerify      bool          `mapstructure:"skip_verify"`
	CommandCertPath string        `mapstructure:"command_cert_path"`
	Timeout         time.Duration `mapstructure:"timeout"`
}

// decodeConfig turns the stored map into a Config. Stored values arrive with JSON types
// (json.Number, float64, []interface{}) or as the Go types pkicompat declared, so the hooks
// accept every spelling a duration, a bool or a list can reasonably have.
func decodeConfig(raw map[string]interface{}) (*Config, []string, error) {
	var cfg Config
	var meta mapstructure.Metadata
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:   &cfg,
		Metadata: &meta,
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			durationHook,
			commaListHook,
		),
		WeaklyTypedInput: true,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("building config decoder: %w", err)
	}
	if err := dec.Decode(raw); err != nil {
		return nil, nil, fmt.Errorf("invalid configuration: %s", describeDecodeError(err))
	}
	return &cfg, unknownFieldWarnings(meta.Unused), nil
}

// unknownFieldWarnings names stored keys the driver does not know. They are reported, not
// rejected: pkicompat may keep keys of its own next to the driver's.
func unknownFieldWarnings(unused []string) []string {
	if len(unused) == 0 {
		return nil
	}
	names := append([]string(nil), unused...)
	sort.Strings(names)
	return []string{fmt.Sprintf("ignored unknown configuration field(s): %s", strings.Join(names, ", "))}
}

// describeDecodeError keeps mapstructure's field-naming message but never echoes a value, since
// a value may be a secret.
func describeDecodeError(err error) string {
	var me *mapstructure.Error
	if errors.As(err, &me) {
		names := make([]string, 0, len(me.Errors))
		for _, e := range me.Errors {
			names = append(names, fieldOfDecodeMessage(e))
		}
		return strings.Join(names, "; ")
	}
	return fieldOfDecodeMessage(err.Error())
}

// fieldOfDecodeMessage reduces "'timeout' expected type ..., got unconvertible type ..., value: ..."
// to the field name and the reason, dropping the value.
func fieldOfDecodeMessage(msg string) string {
	if i := strings.Index(msg, ", value:"); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// durationHook accepts a duration as seconds (any JSON number, or a numeric string, which is how
// pkicompat stores FieldDuration) or as a Go duration string such as "90s".
func durationHook(from, to reflect.Type, data interface{}) (interface{}, error) {
	if to != reflect.TypeOf(time.Duration(0)) {
		return data, nil
	}
	switch v := data.(type) {
	case time.Duration:
		return v, nil
	case int:
		return time.Duration(v) * time.Second, nil
	case int64:
		return time.Duration(v) * time.Second, nil
	case float64:
		return time.Duration(v * float64(time.Second)), nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("timeout: %q is not a number of seconds", v.String())
		}
		return time.Duration(f * float64(time.Second)), nil
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return time.Duration(0), nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return time.Duration(f * float64(time.Second)), nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("timeout: %q is neither seconds nor a duration like 30s", s)
		}
		return d, nil
	}
	return data, nil
}

// commaListHook accepts a list either as a list or as one comma-separated string.
func commaListHook(from, to reflect.Type, data interface{}) (interface{}, error) {
	if to != reflect.TypeOf([]string(nil)) {
		return data, nil
	}
	s, ok := data.(string)
	if !ok {
		return data, nil
	}
	return splitCommaList(s), nil
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
