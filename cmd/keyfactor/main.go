// Command keyfactor is the Vault plugin binary: Vault's PKI API (pkicompat) with certificates
// issued by Keyfactor Command (driver/keyfactor). Vault starts it; it is not run by hand.
package main

import (
	"os"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/plugin"
)

func main() {
	logger := hclog.New(&hclog.LoggerOptions{Name: "keyfactor"})
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
