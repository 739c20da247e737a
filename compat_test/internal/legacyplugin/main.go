// Command legacyplugin stands in for Keyfactor's older Vault plugin (v1.4.1) in the in-place
// upgrade test: registered under the plugin name "keyfactor", it leaves a mount's storage in
// that plugin's layout, as its users' mounts are, before this project's plugin replaces it.
//
// It is test-only and does not talk to Command: the test issues the certificates at the
// simulator (so Command knows their ids) and hands over the entries to store, built with
// pkicompat/legacytest. Besides the write, it lists roles/ and certs/ as the older plugin did,
// so the test can show the mount before the upgrade.
package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
	"github.com/hashicorp/vault/sdk/plugin"
)

func main() {
	logger := hclog.New(&hclog.LoggerOptions{Name: "legacyplugin"})
	if err := plugin.ServeMultiplex(&plugin.ServeOpts{BackendFactoryFunc: factory, Logger: logger}); err != nil {
		logger.Error("plugin shutting down", "error", err)
		os.Exit(1)
	}
}

func factory(ctx context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
	b := &framework.Backend{
		Help:        "Writes storage in the layout of Keyfactor's older Vault plugin (tests only).",
		BackendType: logical.TypeLogical,
		Paths: []*framework.Path{
			{
				Pattern: "write-legacy-layout",
				Fields: map[string]*framework.FieldSchema{
					"entries": {Type: framework.TypeMap, Description: "Storage key -> base64 of the bytes to store."},
				},
				Operations: map[logical.Operation]framework.OperationHandler{
					logical.UpdateOperation: &framework.PathOperation{Callback: writeEntries},
				},
			},
			listPath("roles/?$", "role/"),
			listPath("certs/?$", "certs/"),
		},
	}
	if err := b.Setup(ctx, conf); err != nil {
		return nil, err
	}
	return b, nil
}

// writeEntries stores each entry as given: raw bytes, as the older plugin's writes left them.
func writeEntries(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	entries := d.Get("entries").(map[string]interface{})
	for key, v := range entries {
		text, ok := v.(string)
		if !ok {
			return logical.ErrorResponse(fmt.Sprintf("entries[%q]: want base64 text", key)), nil
		}
		value, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return logical.ErrorResponse(fmt.Sprintf("entries[%q]: %v", key, err)), nil
		}
		if err := req.Storage.Put(ctx, &logical.StorageEntry{Key: key, Value: value}); err != nil {
			return nil, err
		}
	}
	return &logical.Response{Data: map[string]interface{}{"written": len(entries)}}, nil
}

// listPath lists a storage prefix, as the older plugin's roles/ and certs/ lists did.
func listPath(pattern, prefix string) *framework.Path {
	return &framework.Path{
		Pattern: pattern,
		Operations: map[logical.Operation]framework.OperationHandler{
			logical.ListOperation: &framework.PathOperation{
				Callback: func(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
					keys, err := req.Storage.List(ctx, prefix)
					if err != nil {
						return nil, err
					}
					return logical.ListResponse(keys), nil
				},
			},
		},
	}
}
