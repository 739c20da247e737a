package openapi

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/vault/sdk/logical"
)

// Document asks a mounted backend for its OpenAPI document, as Vault does for
// sys/internal/specs/openapi: a help request on the backend's root, with requestResponsePrefix
// set to the mount's type (Vault passes "pki" for native PKI and the plugin's name for a plugin).
func Document(ctx context.Context, b logical.Backend, storage logical.Storage, requestResponsePrefix string) ([]byte, error) {
	resp, err := b.HandleRequest(ctx, &logical.Request{
		Operation: logical.HelpOperation,
		Path:      "",
		Storage:   storage,
		Data:      map[string]interface{}{"requestResponsePrefix": requestResponsePrefix},
	})
	if err != nil {
		return nil, fmt.Errorf("help request: %w", err)
	}
	if resp == nil || resp.Data["openapi"] == nil {
		return nil, fmt.Errorf("help request answered no OpenAPI document")
	}
	return json.Marshal(resp.Data["openapi"])
}
