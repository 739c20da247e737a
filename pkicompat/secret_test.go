package pkicompat_test

import (
	"github.com/hashicorp/vault/sdk/logical"
)

// secretRevokeRequest is the request Vault's expiration manager sends to revoke a lease.
func secretRevokeRequest(h *harness, s *logical.Secret) *logical.Request {
	return &logical.Request{
		Operation: logical.RevokeOperation,
		Path:      "",
		Storage:   h.storage,
		Secret:    s,
	}
}
