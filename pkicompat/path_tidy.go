package pkicompat

import "github.com/hashicorp/vault/sdk/framework"

// STUB: replaced by the owner of tidy.
func (b *backend) tidyPaths() []*framework.Path { return nil }
