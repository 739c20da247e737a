package pkicompat

import (
	"context"
	"fmt"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// secretTypePKI is native PKI's one secret type, used when a role sets generate_lease=true.
const secretTypePKI = "pki"

// secrets declares the lease type. Leases are not renewable (no Renew callback, as native);
// revoking one revokes the certificate at the CA.
func (b *backend) secrets() []*framework.Secret {
	return []*framework.Secret{{
		Type: secretTypePKI,
		Fields: map[string]*framework.FieldSchema{
			"certificate":   {Type: framework.TypeString, Description: "The PEM-encoded certificate."},
			"private_key":   {Type: framework.TypeString, Description: "The PEM-encoded private key."},
			"serial_number": {Type: framework.TypeString, Description: "The certificate's serial number."},
		},
		Revoke: b.secretRevoke,
	}}
}

func (b *backend) secretRevoke(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	if req.Secret == nil {
		return nil, fmt.Errorf("lease revocation without a secret")
	}
	serial, _ := req.Secret.InternalData["serial_number"].(string)
	if serial == "" {
		return nil, fmt.Errorf("lease has no serial_number to revoke")
	}
	rec, err := getCertRecord(ctx, req.Storage, serial)
	if err != nil {
		return nil, err
	}
	// Nothing stored (or already revoked): nothing left to do. Failing here would make Vault
	// retry the lease revocation forever.
	if rec == nil || rec.revoked() {
		return nil, nil
	}
	drv, err := b.currentDriver(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	op := b.startCAOperation(req, "revoke", append(rec.logFields(), "trigger", "lease")...)
	if err := b.revokeRecord(ctx, req.Storage, drv, rec); err != nil {
		return nil, op.failed(fmt.Errorf("revoking certificate %s at the CA: %w", serial, err))
	}
	op.revoked(rec)
	return nil, nil
}
