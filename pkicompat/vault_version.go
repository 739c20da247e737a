package pkicompat

import (
	"context"
	"strconv"
	"strings"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// nativeFieldsSince lists native PKI fields that older supported Vault releases do not have, with
// the release whose native PKI added them. The engine answers like the native PKI of the Vault it
// runs in: on an older Vault such a field is neither accepted (Vault's framework then warns that
// it ignored an unrecognized parameter, as native does) nor answered.
var nativeFieldsSince = []struct {
	field string
	since vaultVersion
}{
	// Vault 1.20.0's changelog: "secrets/pki: Add Delta (Freshest) CRL support to AIA information
	// (both mount-level and issuer configured)" (GH-30319). 1.19.x's config/urls and issuer
	// answers have no such field.
	{"delta_crl_distribution_points", vaultVersion{1, 20, 0}},
}

// vaultVersion is a Vault release number, major.minor.patch.
type vaultVersion [3]int

// parseVaultVersion reads what the system view reports ("1.19.5", "v1.21.0", "1.20.0-rc1",
// "1.19.5+ent"); ok is false for anything else.
func parseVaultVersion(s string) (v vaultVersion, ok bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+ "); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func (v vaultVersion) before(o vaultVersion) bool {
	for i := range v {
		if v[i] != o[i] {
			return v[i] < o[i]
		}
	}
	return false
}

// fieldsAbsentIn returns the native fields the native PKI of Vault version running lacks. An
// unknown or unreadable version gets the newest shape: no field is absent.
func fieldsAbsentIn(running string) map[string]bool {
	v, ok := parseVaultVersion(running)
	if !ok {
		return nil
	}
	absent := map[string]bool{}
	for _, f := range nativeFieldsSince {
		if v.before(f.since) {
			absent[f.field] = true
		}
	}
	return absent
}

// shapeLikeRunningVault asks the system view which Vault runs this engine and removes, from every
// path's schema and every answer, the fields that Vault's native PKI does not have. It runs once,
// before the first request.
func (b *backend) shapeLikeRunningVault(ctx context.Context, sys logical.SystemView) {
	if sys == nil {
		return
	}
	// PluginEnv rather than VaultVersion: over gRPC, VaultVersion dereferences the environment
	// Vault sends, which is nil when Vault sets the plugin up without a system view (it does so
	// to ask a newly registered plugin its version). Without an answer: the newest shape.
	env, err := sys.PluginEnv(ctx)
	if err != nil || env == nil {
		return
	}
	absent := fieldsAbsentIn(env.VaultVersion)
	if len(absent) == 0 {
		return
	}
	for _, p := range b.Backend.Paths {
		p.Fields = withoutFields(p.Fields, absent)
		for op, h := range p.Operations {
			if po, ok := h.(*framework.PathOperation); ok {
				shaped := *po
				shaped.Callback = withoutAnswerFields(po.Callback, absent)
				p.Operations[op] = &shaped
			}
		}
	}
}

// withoutFields returns a copy of schema without the absent fields; the original may be shared.
func withoutFields(schema map[string]*framework.FieldSchema, absent map[string]bool) map[string]*framework.FieldSchema {
	out := make(map[string]*framework.FieldSchema, len(schema))
	for name, f := range schema {
		if !absent[name] {
			out[name] = f
		}
	}
	return out
}

// withoutAnswerFields wraps a callback so its answer's data never holds an absent field.
func withoutAnswerFields(cb framework.OperationFunc, absent map[string]bool) framework.OperationFunc {
	if cb == nil {
		return nil
	}
	return func(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
		resp, err := cb(ctx, req, d)
		if resp != nil {
			for name := range absent {
				delete(resp.Data, name)
			}
		}
		return resp, err
	}
}
