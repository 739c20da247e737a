package pkicompat

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/hashicorp/vault/sdk/helper/consts"
	"github.com/hashicorp/vault/sdk/logical"
)

// The in-place upgrade from Keyfactor's older plugin (see legacy_storage.go for its layout).
// Vault runs a backend's InitializeFunc when the mount is set up, after unseal and after
// `vault plugin reload`; native PKI migrates its storage there, and so does this engine, once:
// a log entry records the migration and later starts skip it.
//
// Every step is safe to interrupt: an entry is copied to legacy-backup/ before anything
// replaces it, the new entry is written before the old key is removed, and each step first
// looks at what is already there. A migration killed half-way is simply run again on the next
// start and finishes without losing or duplicating anything. The copies stay until
// `tidy tidy_legacy_backup=true` removes them.

// legacyMigrationMaxNotes bounds the log entry on mounts with many odd entries.
const legacyMigrationMaxNotes = 200

// legacyMigrationLog is what the migration did. Its presence means the migration is complete.
type legacyMigrationLog struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Roles are the roles rewritten from the older plugin's shape.
	Roles []string `json:"roles,omitempty"`
	// Certificates counts certificate records created from certs/ PEM entries (or from a
	// revocation entry whose certificate was missing); CertificateIDs and Revocations how many
	// of them got a Command id or a revocation from the older entries.
	Certificates   int `json:"certificates"`
	CertificateIDs int `json:"certificate_ids"`
	Revocations    int `json:"revocations"`
	// CACacheEntries counts the dropped ca/ and ca_chain/ cache entries.
	CACacheEntries int `json:"ca_cache_entries"`
	// Notes say what had to be interpreted or set aside.
	Notes []string `json:"notes,omitempty"`
	// BackupRemoved is when tidy removed legacy-backup/ (zero while it is kept).
	BackupRemoved time.Time `json:"backup_removed,omitempty"`
}

func (l *legacyMigrationLog) note(format string, args ...interface{}) {
	switch {
	case len(l.Notes) < legacyMigrationMaxNotes:
		l.Notes = append(l.Notes, fmt.Sprintf(format, args...))
	case len(l.Notes) == legacyMigrationMaxNotes:
		l.Notes = append(l.Notes, "further notes omitted")
	}
}

// initialize is the backend's InitializeFunc.
func (b *backend) initialize(ctx context.Context, req *logical.InitializationRequest) error {
	if req == nil || req.Storage == nil || !b.writesReplicatedStorage() {
		return nil
	}
	log, err := migrateLegacyStorage(ctx, req.Storage, b.migrationDefaultCA(ctx, req.Storage))
	b.storedRoles.evictAll() // roles read before the migration were in the older form
	if err != nil {
		// Vault reports the error for the mount; the next start resumes where this one stopped.
		return fmt.Errorf("migrating the older Keyfactor plugin's storage: %w", err)
	}
	if log != nil && b.Logger() != nil && (len(log.Roles) > 0 || log.Certificates > 0) {
		b.Logger().Info("migrated the older Keyfactor plugin's storage", "roles", len(log.Roles),
			"certificates", log.Certificates, "certificate_ids", log.CertificateIDs,
			"revocations", log.Revocations, "notes", len(log.Notes))
	}
	return nil
}

// writesReplicatedStorage is native PKI's condition for running its migration: not on a
// performance standby or DR secondary, and on a performance secondary only for a local mount
// (otherwise the primary migrates and replication brings the result).
func (b *backend) writesReplicatedStorage() bool {
	sys := b.System()
	if sys == nil {
		return false
	}
	state := sys.ReplicationState()
	if state.HasState(consts.ReplicationDRSecondary | consts.ReplicationPerformanceStandby) {
		return false
	}
	return sys.LocalMount() || !state.HasState(consts.ReplicationPerformanceSecondary)
}

// migrationDefaultCA is the CA recorded on migrated certificates. Inferred: the older plugin kept
// no CA per certificate; most were issued by its configured default, and revocation by Command id
// does not depend on it. Empty when no usable configuration is stored.
func (b *backend) migrationDefaultCA(ctx context.Context, s logical.Storage) string {
	drv, err := b.currentDriver(ctx, s)
	if err != nil {
		return ""
	}
	return defaultCAName(drv)
}

// legacyMigration is one run of the migration over a mount's storage.
type legacyMigration struct {
	s   logical.Storage
	ca  string
	log *legacyMigrationLog
}

// migrateLegacyStorage migrates the older plugin's entries, unless the log says it was done.
// It returns the log written (nil when the migration had already run).
func migrateLegacyStorage(ctx context.Context, s logical.Storage, defaultCA string) (*legacyMigrationLog, error) {
	done, err := s.Get(ctx, legacyMigrationLogKey)
	if err != nil {
		return nil, fmt.Errorf("reading the migration log: %w", err)
	}
	if done != nil {
		return nil, nil
	}
	m := &legacyMigration{s: s, ca: defaultCA, log: &legacyMigrationLog{Started: time.Now().UTC()}}
	steps := []func(context.Context) error{m.roles, m.certificates, m.revocations, m.keyfactorIDs, m.caCaches}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	m.log.Finished = time.Now().UTC()
	if err := putJSON(ctx, s, legacyMigrationLogKey, "the migration log", m.log); err != nil {
		return nil, err
	}
	return m.log, nil
}

// roles rewrites every role in the older plugin's shape (same key, so the copy comes first).
func (m *legacyMigration) roles(ctx context.Context) error {
	names, err := m.s.List(ctx, roleStoragePrefix)
	if err != nil {
		return fmt.Errorf("listing roles: %w", err)
	}
	for _, name := range names {
		entry, err := m.s.Get(ctx, roleStoragePrefix+name)
		if err != nil {
			return fmt.Errorf("reading role %q: %w", name, err)
		}
		if entry == nil || !isLegacyRoleJSON(entry.Value) {
			continue
		}
		role, notes, err := decodeLegacyRole(entry.Value)
		if err != nil {
			m.log.note("role %q could not be read and was left as it is: %v", name, err)
			continue
		}
		if err := m.backup(ctx, entry); err != nil {
			return err
		}
		if err := putRole(ctx, m.s, name, role); err != nil {
			return err
		}
		m.log.Roles = append(m.log.Roles, name)
		for _, n := range notes {
			m.log.note("role %q: %s", name, n)
		}
	}
	return nil
}

// certificates turns every certs/ PEM entry into a certificate record with its Command id and
// revocation.
func (m *legacyMigration) certificates(ctx context.Context) error {
	keys, err := m.s.List(ctx, certStoragePrefix)
	if err != nil {
		return fmt.Errorf("listing certificates: %w", err)
	}
	for _, key := range keys {
		entry, err := m.s.Get(ctx, certStoragePrefix+key)
		if err != nil {
			return fmt.Errorf("reading certificate %s: %w", key, err)
		}
		if entry == nil || !isLegacyCertValue(entry.Value) {
			continue
		}
		if err := m.certificate(ctx, entry); err != nil {
			return err
		}
	}
	return nil
}

func (m *legacyMigration) certificate(ctx context.Context, entry *logical.StorageEntry) error {
	key := entry.Key[len(certStoragePrefix):]
	cert, err := parseLegacyCertificate(entry.Value)
	if err != nil {
		m.log.note("certs/%s holds no readable certificate (%v); moved to %s", key, err, legacyBackupPrefix)
		return m.moveToBackup(ctx, entry)
	}
	serial := serialFromCert(cert)
	newKey := storageSerial(serial)
	spellings := uniqueNamesInOrder(append([]string{key}, legacySerialSpellings(cert)...))

	idEntry, id, err := m.findKeyfactorID(ctx, spellings)
	if err != nil {
		return err
	}
	revEntry, rev, err := m.findLegacyRevocation(ctx, spellings)
	if err != nil {
		return err
	}

	var rec *certRecord
	if newKey != key {
		// A run interrupted after writing the record finds it here and completes it.
		if rec, err = getCertRecord(ctx, m.s, serial); err != nil {
			return err
		}
		if rec != nil && !bytes.Equal(rec.CertificateDER, cert.Raw) {
			m.log.note("certs/%s: another certificate with serial %s is already stored; the older entry was moved to %s", key, serial, legacyBackupPrefix)
			return m.moveToBackup(ctx, entry)
		}
	}
	if rec == nil {
		rec = m.newRecord(cert)
		m.log.Certificates++
	}
	m.complete(rec, id, rev)
	if id == "" && idEntry == nil {
		m.log.note("certificate %s has no Command id (kfId/); revocation will find it in Command by serial", serial)
	}

	for _, old := range []*logical.StorageEntry{entry, idEntry, revEntry} {
		if err := m.backup(ctx, old); err != nil {
			return err
		}
	}
	if err := putCertRecord(ctx, m.s, rec); err != nil {
		return err
	}
	if key != newKey {
		if err := m.delete(ctx, entry.Key); err != nil {
			return err
		}
	}
	if idEntry != nil {
		if err := m.delete(ctx, idEntry.Key); err != nil {
			return err
		}
	}
	return m.dropLegacyRevocation(ctx, revEntry, rec)
}

// newRecord is the record of a certificate the older plugin issued.
func (m *legacyMigration) newRecord(c *x509.Certificate) *certRecord {
	return &certRecord{
		SerialNumber:   serialFromCert(c),
		CertificateDER: c.Raw,
		CA:             m.ca,
		IssuerID:       issuerIDFor(m.ca),
		IssuedAt:       c.NotBefore.UTC(),
	}
}

// complete adds what the older entries knew and the record does not have yet.
func (m *legacyMigration) complete(rec *certRecord, id string, rev *legacyRevocation) {
	if rec.CertificateID == "" && id != "" {
		rec.CertificateID = id
		m.log.CertificateIDs++
	}
	if rec.Revocation == nil && rev != nil {
		at := rev.time()
		if at.IsZero() {
			at = m.log.Started
		}
		rec.Revocation = &revocationInfo{Time: at}
		m.log.Revocations++
	}
}

// findKeyfactorID looks for the certificate's kfId/ entry under each spelling of its serial.
// An unreadable id is noted and treated as absent (revocation then goes by serial).
func (m *legacyMigration) findKeyfactorID(ctx context.Context, spellings []string) (*logical.StorageEntry, string, error) {
	for _, sp := range spellings {
		entry, err := m.s.Get(ctx, legacyKeyfactorIDPrefix+sp)
		if err != nil {
			return nil, "", fmt.Errorf("reading %s%s: %w", legacyKeyfactorIDPrefix, sp, err)
		}
		if entry == nil {
			continue
		}
		id, err := parseLegacyKeyfactorID(entry.Value)
		if err != nil {
			m.log.note("%s: %v", entry.Key, err)
		}
		return entry, id, nil
	}
	return nil, "", nil
}

// findLegacyRevocation looks for the older plugin's revoked/ entry under each spelling.
func (m *legacyMigration) findLegacyRevocation(ctx context.Context, spellings []string) (*logical.StorageEntry, *legacyRevocation, error) {
	for _, sp := range spellings {
		entry, err := m.s.Get(ctx, revokedStoragePrefix+sp)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s%s: %w", revokedStoragePrefix, sp, err)
		}
		if entry == nil {
			continue
		}
		rev, legacy, err := decodeLegacyRevocation(entry.Value)
		if err != nil {
			m.log.note("%s: %v", entry.Key, err)
			return entry, nil, nil
		}
		if legacy {
			return entry, rev, nil
		}
	}
	return nil, nil, nil
}

// dropLegacyRevocation removes an older revoked/ entry once the record holds the revocation,
// unless the record's own revocation marker now lives under the same key.
func (m *legacyMigration) dropLegacyRevocation(ctx context.Context, revEntry *logical.StorageEntry, rec *certRecord) error {
	if revEntry == nil {
		return nil
	}
	if revEntry.Key == revokedStoragePrefix+storageSerial(rec.SerialNumber) && rec.revoked() {
		return nil
	}
	return m.delete(ctx, revEntry.Key)
}

// revocations handles revoked/ entries whose certs/ entry is gone: the certificate is in the
// revocation entry itself, so the record is made from it.
func (m *legacyMigration) revocations(ctx context.Context) error {
	keys, err := m.s.List(ctx, revokedStoragePrefix)
	if err != nil {
		return fmt.Errorf("listing revocations: %w", err)
	}
	for _, key := range keys {
		entry, err := m.s.Get(ctx, revokedStoragePrefix+key)
		if err != nil {
			return fmt.Errorf("reading revocation %s: %w", key, err)
		}
		if entry == nil {
			continue
		}
		rev, legacy, err := decodeLegacyRevocation(entry.Value)
		switch {
		case !legacy:
			// This engine's revocation marker.
		case err != nil:
			m.log.note("%s: %v; moved to %s", entry.Key, err, legacyBackupPrefix)
			if err := m.moveToBackup(ctx, entry); err != nil {
				return err
			}
		default:
			if err := m.orphanRevocation(ctx, entry, rev); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *legacyMigration) orphanRevocation(ctx context.Context, entry *logical.StorageEntry, rev *legacyRevocation) error {
	key := entry.Key[len(revokedStoragePrefix):]
	var rec *certRecord
	if canon, ok := canonicalStorageSerial(key); ok {
		var err error
		if rec, err = getCertRecord(ctx, m.s, canon); err != nil {
			return err
		}
	}
	var idEntry *logical.StorageEntry
	if rec == nil {
		cert, err := parseLegacyCertificate(rev.CertificateBytes)
		if err != nil {
			m.log.note("%s names no stored certificate and holds none (%v); moved to %s", entry.Key, err, legacyBackupPrefix)
			return m.moveToBackup(ctx, entry)
		}
		rec = m.newRecord(cert)
		m.log.Certificates++
		var id string
		if idEntry, id, err = m.findKeyfactorID(ctx, uniqueNamesInOrder(append([]string{key}, legacySerialSpellings(cert)...))); err != nil {
			return err
		}
		m.complete(rec, id, nil)
	}
	m.complete(rec, "", rev)
	for _, old := range []*logical.StorageEntry{entry, idEntry} {
		if err := m.backup(ctx, old); err != nil {
			return err
		}
	}
	if err := putCertRecord(ctx, m.s, rec); err != nil {
		return err
	}
	if idEntry != nil {
		if err := m.delete(ctx, idEntry.Key); err != nil {
			return err
		}
	}
	return m.dropLegacyRevocation(ctx, entry, rec)
}

// keyfactorIDs handles kfId/ entries left after the certificates: ids of records written by an
// interrupted run, or ids of certificates the older plugin no longer had.
func (m *legacyMigration) keyfactorIDs(ctx context.Context) error {
	keys, err := m.s.List(ctx, legacyKeyfactorIDPrefix)
	if err != nil {
		return fmt.Errorf("listing %s: %w", legacyKeyfactorIDPrefix, err)
	}
	for _, key := range keys {
		entry, err := m.s.Get(ctx, legacyKeyfactorIDPrefix+key)
		if err != nil {
			return fmt.Errorf("reading %s%s: %w", legacyKeyfactorIDPrefix, key, err)
		}
		if entry == nil {
			continue
		}
		var rec *certRecord
		if canon, ok := canonicalStorageSerial(key); ok {
			if rec, err = getCertRecord(ctx, m.s, canon); err != nil {
				return err
			}
		}
		if rec == nil {
			m.log.note("%s names no stored certificate; moved to %s", entry.Key, legacyBackupPrefix)
			if err := m.moveToBackup(ctx, entry); err != nil {
				return err
			}
			continue
		}
		if rec.CertificateID == "" {
			id, err := parseLegacyKeyfactorID(entry.Value)
			if err != nil {
				m.log.note("%s: %v", entry.Key, err)
			}
			m.complete(rec, id, nil)
		}
		if err := m.backup(ctx, entry); err != nil {
			return err
		}
		if err := putCertRecord(ctx, m.s, rec); err != nil {
			return err
		}
		if err := m.delete(ctx, entry.Key); err != nil {
			return err
		}
	}
	return nil
}

// caCaches drops the older plugin's cached CA certificates: the driver fetches CA material
// itself, and a stale cache must not shadow it.
func (m *legacyMigration) caCaches(ctx context.Context) error {
	names, err := m.s.List(ctx, legacyCACachePrefix)
	if err != nil {
		return fmt.Errorf("listing %s: %w", legacyCACachePrefix, err)
	}
	keys := make([]string, 0, len(names)+1)
	for _, n := range names {
		keys = append(keys, legacyCACachePrefix+n)
	}
	chain, err := m.s.Get(ctx, legacyCAChainCacheKey)
	if err != nil {
		return fmt.Errorf("reading %s: %w", legacyCAChainCacheKey, err)
	}
	if chain != nil {
		keys = append(keys, legacyCAChainCacheKey)
	}
	for _, k := range keys {
		if err := m.delete(ctx, k); err != nil {
			return err
		}
		m.log.CACacheEntries++
	}
	return nil
}

// backup copies an entry, under its own key, below legacy-backup/ (nil: nothing to copy).
func (m *legacyMigration) backup(ctx context.Context, entry *logical.StorageEntry) error {
	if entry == nil {
		return nil
	}
	if err := m.s.Put(ctx, &logical.StorageEntry{Key: legacyBackupPrefix + entry.Key, Value: entry.Value}); err != nil {
		return fmt.Errorf("copying %s to %s: %w", entry.Key, legacyBackupPrefix, err)
	}
	return nil
}

// moveToBackup sets an entry aside: copied first, then removed from its place.
func (m *legacyMigration) moveToBackup(ctx context.Context, entry *logical.StorageEntry) error {
	if err := m.backup(ctx, entry); err != nil {
		return err
	}
	return m.delete(ctx, entry.Key)
}

func (m *legacyMigration) delete(ctx context.Context, key string) error {
	if err := m.s.Delete(ctx, key); err != nil {
		return fmt.Errorf("removing %s: %w", key, err)
	}
	return nil
}

// removeLegacyBackup deletes legacy-backup/ (tidy_legacy_backup) and records when in the log.
// It returns how many entries it removed.
func removeLegacyBackup(ctx context.Context, s logical.Storage) (int, error) {
	view := logical.NewStorageView(s, legacyBackupPrefix)
	var keys []string
	if err := logical.ScanView(ctx, view, func(path string) { keys = append(keys, path) }); err != nil {
		return 0, fmt.Errorf("listing %s: %w", legacyBackupPrefix, err)
	}
	for _, k := range keys {
		if err := view.Delete(ctx, k); err != nil {
			return 0, fmt.Errorf("removing %s%s: %w", legacyBackupPrefix, k, err)
		}
	}
	log, err := getJSON[legacyMigrationLog](ctx, s, legacyMigrationLogKey, "the migration log")
	if err != nil || log == nil || len(keys) == 0 {
		return len(keys), err
	}
	log.BackupRemoved = time.Now().UTC()
	return len(keys), putJSON(ctx, s, legacyMigrationLogKey, "the migration log", log)
}
