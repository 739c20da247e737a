package pkicompat

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// legacyRestorePath puts back what the migration from Keyfactor's older plugin replaced, so that
// plugin's binary can serve the mount again (a rollback). Not a native path.
const legacyRestorePath = "legacy-backup/restore"

func (b *backend) legacyBackupPaths() []*framework.Path {
	return []*framework.Path{{
		Pattern: legacyRestorePath,
		Operations: map[logical.Operation]framework.OperationHandler{
			logical.UpdateOperation: &framework.PathOperation{Callback: b.handleLegacyRestore},
		},
		HelpSynopsis: "Roll back the upgrade from Keyfactor's older plugin: restore its entries from legacy-backup/.",
		HelpDescription: "Writes every entry the migration replaced back under its own key, removes the " +
			"certificate records made from them and the migration log, so the older plugin's binary can be " +
			"registered and reloaded next. Certificates issued after the upgrade keep this engine's form. " +
			"Run it immediately before re-registering the older binary: the next start of this engine " +
			"would migrate again.",
	}}
}

func (b *backend) handleLegacyRestore(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	if !b.writesReplicatedStorage() {
		return nil, logical.ErrReadOnly
	}
	restored, err := restoreLegacyBackup(ctx, req.Storage)
	b.storedRoles.evictAll() // role/ entries were rewritten in the older plugin's form
	if err != nil {
		return nil, err
	}
	if restored == 0 {
		return respond(Invalid("no copy of the older Keyfactor plugin's entries is kept here: nothing was migrated, or tidy_legacy_backup removed it"))
	}
	resp := &logical.Response{Data: map[string]interface{}{"restored_entries": restored}}
	resp.AddWarning("the older plugin's entries are back; register and reload its binary now (vault plugin register -sha256=<older sha> secret <name>, vault plugin reload -plugin=<name>): this engine migrates them again on its next start")
	return resp, nil
}

// restoreLegacyBackup writes every legacy-backup/ entry back under its own key, then removes the
// records and revocation markers this engine made from restored certificates under other keys,
// then the migration log. The backup itself stays until tidy removes it. It returns how many
// entries it restored (0: no backup).
func restoreLegacyBackup(ctx context.Context, s logical.Storage) (int, error) {
	view := logical.NewStorageView(s, legacyBackupPrefix)
	var keys []string
	if err := logical.ScanView(ctx, view, func(path string) { keys = append(keys, path) }); err != nil {
		return 0, fmt.Errorf("listing %s: %w", legacyBackupPrefix, err)
	}
	restoredKeys := map[string]bool{}
	var derived []string
	for _, key := range keys {
		entry, err := view.Get(ctx, key)
		if err != nil {
			return 0, fmt.Errorf("reading %s%s: %w", legacyBackupPrefix, key, err)
		}
		if entry == nil {
			continue
		}
		if err := s.Put(ctx, &logical.StorageEntry{Key: key, Value: entry.Value}); err != nil {
			return 0, fmt.Errorf("restoring %s: %w", key, err)
		}
		restoredKeys[key] = true
		if cert := legacyBackedUpCertificate(key, entry.Value); cert != nil {
			serialKey := storageSerial(serialFromCert(cert))
			derived = append(derived, certStoragePrefix+serialKey, revokedStoragePrefix+serialKey)
		}
	}
	for _, key := range derived {
		if restoredKeys[key] {
			continue // the older plugin's own entry is back under this key
		}
		if err := s.Delete(ctx, key); err != nil {
			return 0, fmt.Errorf("removing %s: %w", key, err)
		}
	}
	if len(restoredKeys) > 0 {
		if err := s.Delete(ctx, legacyMigrationLogKey); err != nil {
			return 0, fmt.Errorf("removing the migration log: %w", err)
		}
	}
	return len(restoredKeys), nil
}

// legacyBackedUpCertificate is the certificate a backed-up certs/ or revoked/ entry of the older
// plugin holds (nil for other entries), so the record made from it can be found.
func legacyBackedUpCertificate(key string, value []byte) *x509.Certificate {
	switch {
	case strings.HasPrefix(key, certStoragePrefix):
		cert, err := parseLegacyCertificate(value)
		if err == nil {
			return cert
		}
	case strings.HasPrefix(key, revokedStoragePrefix):
		rev, legacy, err := decodeLegacyRevocation(value)
		if err != nil || !legacy {
			return nil
		}
		cert, err := parseLegacyCertificate(rev.CertificateBytes)
		if err == nil {
			return cert
		}
	}
	return nil
}
