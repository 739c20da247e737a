package pkicompat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Write-ahead issuance. Before the CA is asked to sign, the engine stores an intent: enough to
// find the certificate at the CA later (time, CA, public key). The intent is removed once the
// outcome is known and kept (the certificate record stored, or the CA's definite refusal).
// Whatever is left behind (the CA answered after the caller's timeout, the process was killed,
// the node lost leadership) is settled by the reconciler (reconcile.go).

// issuanceIntent is what the reconciler needs to find and settle one issuance. It holds no key
// material beyond the public key's hash.
type issuanceIntent struct {
	ID          string    `json:"id"`
	RequestedAt time.Time `json:"requested_at"`
	// PublicKeySHA256 is the hex SHA-256 of the CSR's DER SubjectPublicKeyInfo.
	PublicKeySHA256 string `json:"public_key_sha256"`
	CommonName      string `json:"common_name,omitempty"`
	Role            string `json:"role,omitempty"`
	// CA and Template as sent to the driver; an empty CA is the driver's default.
	CA       string `json:"ca,omitempty"`
	Template string `json:"template,omitempty"`
	EntityID string `json:"entity_id,omitempty"`
	// Mode is "issue" (the key was made here and is lost if the answer is) or "sign".
	Mode    string            `json:"mode"`
	Mount   string            `json:"mount,omitempty"`
	NoStore bool              `json:"no_store,omitempty"`
	Meta    map[string]string `json:"metadata,omitempty"`
}

const (
	intentModeIssue = "issue"
	intentModeSign  = "sign"
)

func publicKeyHash(csr *x509.CertificateRequest) string {
	sum := sha256.Sum256(csr.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// writeIntent stores the intent of one issuance before the CA is called. Nothing has been
// issued yet, so a storage failure refuses the request. On a node whose storage is read-only the
// issuance goes ahead without an intent (nothing could store its record either).
func (b *backend) writeIntent(ctx context.Context, req *logical.Request, mode issueMode, ir *issueRequest, csr *x509.CertificateRequest) (*issuanceIntent, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("making an issuance id: %w", err)
	}
	intent := &issuanceIntent{
		ID:              hex.EncodeToString(id),
		RequestedAt:     time.Now().UTC(),
		PublicKeySHA256: publicKeyHash(csr),
		CommonName:      csr.Subject.CommonName,
		Role:            ir.policy.roleName,
		CA:              ir.target.ca,
		Template:        ir.target.template,
		EntityID:        req.EntityID,
		Mode:            intentModeSign,
		Mount:           req.MountPoint,
		NoStore:         ir.policy.noStore,
		Meta:            ir.metadata,
	}
	if mode == modeIssue {
		intent.Mode = intentModeIssue
	}
	if err := putJSON(ctx, req.Storage, intentStoragePrefix+intent.ID, "the issuance intent", intent); err != nil {
		if strings.Contains(err.Error(), logical.ErrReadOnly.Error()) {
			b.Logger().Warn("issuing without a write-ahead intent: storage is read-only on this node")
			return nil, nil
		}
		return nil, err
	}
	return intent, nil
}

// settleIntent removes the intent of an issuance whose outcome is known and kept. It runs even
// when the caller has gone, since the outcome is kept either way; a failure only leaves the
// intent for the reconciler, which finds the stored record and closes it.
func (b *backend) settleIntent(ctx context.Context, s logical.Storage, intent *issuanceIntent) {
	if intent == nil {
		return
	}
	if err := s.Delete(context.WithoutCancel(ctx), intentStoragePrefix+intent.ID); err != nil {
		b.Logger().Warn("could not remove a settled issuance intent; reconciliation will close it", "id", intent.ID, "error", err)
	}
}

// caRefusedIssuance reports whether a Sign error means the CA certainly issued nothing: a 4xx
// the driver mapped (the caller's mistake, a denial, a request held for approval), or a driver
// error that says so. Anything else (timeouts, 5xx, broken answers) leaves the outcome unknown.
func caRefusedIssuance(err error) bool {
	var ni NotIssuedError
	if errors.As(err, &ni) && ni.NotIssued() {
		return true
	}
	status := cadriver.StatusOf(err, http.StatusBadGateway)
	return status >= http.StatusBadRequest && status < http.StatusInternalServerError
}

func getIntent(ctx context.Context, s logical.Storage, id string) (*issuanceIntent, error) {
	return getJSON[issuanceIntent](ctx, s, intentStoragePrefix+id, "issuance intent "+id)
}
