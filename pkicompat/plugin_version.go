package pkicompat

import (
	"context"

	"github.com/hashicorp/vault/sdk/logical"
)

// VersionedFactory is Factory for a plugin binary that knows its release version (a semantic
// version with a leading "v", e.g. v1.2.0). The engine reports it to Vault as its running version
// (logical.PluginVersion), so `vault plugin register -version`, `vault secrets enable
// -plugin-version`, `vault secrets list -detailed` and `vault plugin reload` work as for
// HashiCorp's own external plugins; Vault refuses to register the binary under another version.
func VersionedFactory(provider Provider, version string) logical.Factory {
	return adjusted(Factory(provider), func(b *backend) { b.RunningVersion = version })
}

// PluginFactory is the plugin binary's factory: VersionedFactory, for an engine served from its
// own process, whose every answer reaches Vault as JSON over the plugin connection. Such an
// engine hands the largest answer, LIST certs/, over already encoded (packedserials.go). In
// process (Factory: a builtin mount, the tests) answers keep Vault's in-memory types, which
// Vault's own response handling inspects: logical.RespondErrorCommon takes LIST keys only as
// []string or []interface{}.
//
// Its system view answers the replication state from memory (pluginSystemView), which the SDK
// would otherwise ask Vault for over the plugin connection on every request.
func PluginFactory(provider Provider, version string) logical.Factory {
	factory := adjusted(VersionedFactory(provider, version), func(b *backend) { b.answersAsJSON = true })
	return func(ctx context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
		return factory(ctx, withPluginSystemView(conf))
	}
}

// adjusted is factory with change applied to every engine it makes.
func adjusted(factory logical.Factory, change func(*backend)) logical.Factory {
	return func(ctx context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
		lb, err := factory(ctx, conf)
		if err != nil {
			return nil, err
		}
		change(lb.(*backend))
		return lb, nil
	}
}
