package pkicompat

import (
	"context"
	"fmt"

	"github.com/hashicorp/vault/sdk/logical"
)

// Every storage key and prefix of the engine. Where native PKI has the same thing, the key is
// native's, so the stored JSON has native's layout.
const (
	// configStorageKey holds the driver configuration (a JSON object of the Provider's fields).
	// It is seal-wrapped because it holds the CA credentials.
	configStorageKey = "config"
	// urlsStorageKey holds config/urls (native's key): AIA URLs, stored and answered.
	urlsStorageKey = "urls"
	// crlConfigStorageKey holds config/crl (native's key), stored and answered.
	crlConfigStorageKey = "config/crl"
	// autoTidyStorageKey holds config/auto-tidy (native's key).
	autoTidyStorageKey = "config/auto-tidy"
	// roleStoragePrefix + name holds one role, as in native PKI.
	roleStoragePrefix = "role/"
	// issuerStoragePrefix + issuer id holds one CA this mount has used, so issuers/ can be
	// listed and issuer ids resolved after a restart.
	issuerStoragePrefix = "issuers/"
	// certStoragePrefix + serial (lowercase, '-' separated) holds one issued certificate's
	// record (never a private key). Local storage, as in native PKI.
	certStoragePrefix = "certs/"
	// revokedStoragePrefix + serial marks a revoked certificate (native's revoked/ listing).
	// Local storage.
	revokedStoragePrefix = "revoked/"
	// revocationSyncKey holds, per issuer, when the last successful sync of revocations made
	// in the CA started. Local storage, like the records it updates.
	revocationSyncKey = "revocation-sync"
	// reconcileConfigKey holds config/reconcile: what to do with certificates the CA issued but
	// nobody received, and after how long.
	reconcileConfigKey = "config/reconcile"
	// reconcileLocalPrefix holds what reconciliation keeps per cluster, like the records it
	// settles into: the intents and the status below.
	reconcileLocalPrefix = "reconcile/"
	// intentStoragePrefix + random id holds the intent of one issuance in flight or unsettled.
	intentStoragePrefix = reconcileLocalPrefix + "intents/"
	// reconcileStatusKey holds reconcile-status's counters, so they survive the plugin
	// restarts that give reconciliation its work.
	reconcileStatusKey = reconcileLocalPrefix + "status"

	// Keys of Keyfactor's older plugin (hashicorp-vault-secretsengine v1.4.1), read once by the
	// in-place upgrade (migrate_legacy.go) and then removed; its config and role/ entries use
	// the keys above. legacyKeyfactorIDPrefix + serial holds Command's certificate id;
	// legacyCACachePrefix + CA name (and + "_chain") and legacyCAChainCacheKey are its CA caches.
	legacyKeyfactorIDPrefix = "kfId/"
	legacyCACachePrefix     = "ca/"
	legacyCAChainCacheKey   = "ca_chain/"
	// legacyBackupPrefix + original key holds a copy of each older entry the upgrade replaced
	// or removed, for a rollback (legacy-backup/restore), until tidy_legacy_backup removes it.
	legacyBackupPrefix = "legacy-backup/"
	// legacyMigrationLogKey records that the upgrade ran, and what it did.
	legacyMigrationLogKey = "legacy-migration/log"
)

// localStoragePaths are kept per cluster, as native keeps certificate records.
var localStoragePaths = []string{revokedStoragePrefix, certStoragePrefix, revocationSyncKey, reconcileLocalPrefix, pendingStoragePrefix}

// getJSON reads the JSON entry at key; nil (and no error) when there is none. what names the
// entry in errors.
func getJSON[T any](ctx context.Context, s logical.Storage, key, what string) (*T, error) {
	v := new(T)
	found, err := getJSONInto(ctx, s, key, what, v)
	if err != nil || !found {
		return nil, err
	}
	return v, nil
}

// getJSONInto decodes the JSON entry at key over v (so fields the entry lacks keep v's
// defaults) and reports whether there was one.
func getJSONInto(ctx context.Context, s logical.Storage, key, what string, v interface{}) (bool, error) {
	entry, err := s.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", what, err)
	}
	if entry == nil {
		return false, nil
	}
	if err := entry.DecodeJSON(v); err != nil {
		return false, fmt.Errorf("decoding %s: %w", what, err)
	}
	return true, nil
}

// putJSON stores v as JSON at key.
func putJSON(ctx context.Context, s logical.Storage, key, what string, v interface{}) error {
	entry, err := logical.StorageEntryJSON(key, v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", what, err)
	}
	if err := s.Put(ctx, entry); err != nil {
		return fmt.Errorf("storing %s: %w", what, err)
	}
	return nil
}
