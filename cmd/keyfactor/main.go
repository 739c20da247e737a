// Command keyfactor is the Vault plugin binary: Vault's PKI API (pkicompat) with certificates
// issued by Keyfactor Command (driver/keyfactor). Vault starts it; it is not run by hand.
package main

import (
	"os"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/plugin"
)

func main() {
	// JSON at trace: go-plugin, on Vault's side, reads each line's level from the JSON and logs it
	// through Vault's logger, which applies Vault's -log-level. Plain-text lines would all be
	// logged at debug, so at Vault's default (info) operators would see none of the plugin's
	// issuance, revocation-sync or warning lines.
	logger := hclog.New(&hclog.LoggerOptions{Name: "keyfactor", Level: hclog.Trace, JSONFormat: true, Output: os.Stderr})
	// Multiplexed serving: one plugin process serves every mount of this plugin. TLS between
	// Vault and the plugin is negotiated by go-plugin's AutoMTLS, so no TLS provider is passed
	// (that older mechanism needed the vault/api module and a wrapping token).
	err := plugin.ServeMultiplex(&plugin.ServeOpts{
		BackendFactoryFunc: backendFactory(),
		Logger:             logger,
	})
	if err != nil {
		logger.Error("plugin shutting down", "error", err)
		os.Exit(1)
	}
}
