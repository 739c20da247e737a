// Package legacytest writes storage in the layout of Keyfactor's older Vault plugin
// (hashicorp-vault-secretsengine v1.4.1), so upgrade tests start from what that plugin left in a
// mount. The layout facts come from its public source; pkicompat/legacy_storage.go lists them.
package legacytest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// Cert is one certificate the older plugin stored.
type Cert struct {
	// Key is the serial as the older plugin keyed certs/<serial>: Command's serial lower-cased
	// (no separators), or an older entry's colon form.
	Key string
	// PEM is the stored value: the leaf as Command returned it, raw PEM bytes.
	PEM []byte
	// KeyfactorID is Command's certificate id, written to kfId/<Key>; 0 writes none.
	KeyfactorID int64
	// RevokedAt writes revoked/<Key> when set.
	RevokedAt time.Time
}

// Layout is a mount of the older plugin.
type Layout struct {
	// Config is the config entry (field name -> value), nil for none.
	Config map[string]interface{}
	// Roles are role entries by name, usually built with Role.
	Roles map[string]map[string]interface{}
	Certs []Cert
	// CACache names CAs whose cached ca/<name> and ca/<name>_chain entries (and the shared
	// ca_chain/ entry) are written with CachePEM.
	CACache  []string
	CachePEM string
}

// Role is a role entry as the older plugin's role write stored it when only the given fields
// were set: every key its role struct writes, with its defaults (native's), then overrides.
// Keys are its storage names (allowed_domains_list, key_usage_list, ttl_duration, ...).
func Role(overrides map[string]interface{}) map[string]interface{} {
	role := map[string]interface{}{
		"lease":                              "",
		"lease_max":                          "",
		"max_ttl":                            "",
		"ttl":                                "",
		"ttl_duration":                       0,
		"max_ttl_duration":                   0,
		"allow_localhost":                    true,
		"allowed_base_domain":                "",
		"allowed_domains_list":               []string{},
		"allowed_domains_template":           false,
		"allow_base_domain":                  false,
		"allow_bare_domains":                 false,
		"allow_token_displayname":            false,
		"allow_subdomains":                   false,
		"allow_glob_domains":                 false,
		"allow_any_name":                     false,
		"enforce_hostnames":                  true,
		"allow_ip_sans":                      true,
		"server_flag":                        true,
		"client_flag":                        true,
		"code_signing_flag":                  false,
		"email_protection_flag":              false,
		"use_csr_common_name":                true,
		"use_csr_sans":                       true,
		"key_type":                           "rsa",
		"key_bits":                           2048,
		"key_usage_list":                     []string{"DigitalSignature", "KeyAgreement", "KeyEncipherment"},
		"extended_key_usage_list":            []string{},
		"ou_list":                            []string{},
		"organization_list":                  []string{},
		"country":                            []string{},
		"locality":                           []string{},
		"province":                           []string{},
		"street_address":                     []string{},
		"postal_code":                        []string{},
		"generate_lease":                     false,
		"no_store":                           false,
		"require_cn":                         true,
		"allowed_other_sans":                 nil,
		"allowed_serial_numbers":             []string{},
		"allowed_uri_sans":                   []string{},
		"policy_identifiers":                 []string{},
		"ext_key_usage_oids":                 []string{},
		"basic_constraints_valid_for_non_ca": false,
		"not_before_duration":                int64(30 * time.Second),
		"AllowExpirationPastCA":              false,
	}
	maps.Copy(role, overrides)
	return role
}

// revocation is the older plugin's revoked/ entry; certificate_bytes is the certs/ value.
type revocation struct {
	CertificateBytes  []byte    `json:"certificate_bytes"`
	RevocationTime    int64     `json:"revocation_time"`
	RevocationTimeUTC time.Time `json:"revocation_time_utc"`
}

// Entries returns the storage entries (key -> stored bytes) the older plugin would have left.
func (l Layout) Entries() (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(key string, v interface{}) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", key, err)
		}
		out[key] = raw
		return nil
	}
	if l.Config != nil {
		if err := add("config", l.Config); err != nil {
			return nil, err
		}
	}
	for name, role := range l.Roles {
		if err := add("role/"+name, role); err != nil {
			return nil, err
		}
	}
	for _, c := range l.Certs {
		out["certs/"+c.Key] = c.PEM
		if c.KeyfactorID != 0 {
			// A bare JSON number, as the older plugin wrote the float64 it had parsed.
			if err := add("kfId/"+c.Key, float64(c.KeyfactorID)); err != nil {
				return nil, err
			}
		}
		if !c.RevokedAt.IsZero() {
			rev := revocation{CertificateBytes: c.PEM, RevocationTime: c.RevokedAt.Unix(), RevocationTimeUTC: c.RevokedAt.UTC()}
			if err := add("revoked/"+c.Key, rev); err != nil {
				return nil, err
			}
		}
	}
	if len(l.CACache) > 0 {
		for _, ca := range l.CACache {
			if err := add("ca/"+ca, l.CachePEM); err != nil {
				return nil, err
			}
			if err := add("ca/"+ca+"_chain", l.CachePEM); err != nil {
				return nil, err
			}
		}
		if err := add("ca_chain/", []string{l.CachePEM}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Write puts the layout into storage.
func (l Layout) Write(ctx context.Context, s logical.Storage) error {
	entries, err := l.Entries()
	if err != nil {
		return err
	}
	for key, value := range entries {
		if err := s.Put(ctx, &logical.StorageEntry{Key: key, Value: value}); err != nil {
			return fmt.Errorf("writing %s: %w", key, err)
		}
	}
	return nil
}
