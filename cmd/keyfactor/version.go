package main

import (
	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
)

// version is the plugin's release version, reported to Vault as its running version. Builds
// stamp it from the git tag (Makefile: -ldflags "-X main.version=$(PLUGIN_VERSION)"); an
// unstamped build is v0.0.0-dev. It must be a semantic version with a leading "v": Vault refuses
// a plugin that reports anything else, and registers it under exactly this string.
var version = "v0.0.0-dev"

// backendFactory is the engine this binary serves: Vault's PKI API over Keyfactor Command,
// reporting version, in its own plugin process.
func backendFactory() logical.Factory {
	return pkicompat.PluginFactory(keyfactor.NewProvider(), version)
}
