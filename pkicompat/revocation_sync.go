package pkicompat

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/vault/sdk/helper/consts"
	"github.com/hashicorp/vault/sdk/logical"
)

// Revocations can happen in the CA itself (an operator in Command's console), not only through
// this mount. The CRL comes from the CA and shows them at once; the certificate records behind
// cert/:serial and certs/revoked/ learn of them here, from the driver's RevocationLister.
const (
	// revocationSyncInterval keeps the sync from asking the CA on every rollback tick (Vault
	// calls PeriodicFunc about once a minute).
	revocationSyncInterval = 5 * time.Minute
	// revocationSyncOverlap re-reads a margin before the last sync, so a revocation dated just
	// before it (clock skew, a slow CA write) is not missed. Applying one twice is harmless.
	revocationSyncOverlap = 10 * time.Minute
)

type revocationSyncState struct {
	Since map[string]time.Time `json:"since"` // issuer id -> start of the last successful sync
}

// revocationSyncer remembers when the sync last ran on this node.
type revocationSyncer struct {
	mu      sync.Mutex
	lastRun time.Time
}

// due reports whether a sync should run now, and records the run.
func (r *revocationSyncer) due(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.lastRun.IsZero() && now.Sub(r.lastRun) < revocationSyncInterval {
		return false
	}
	r.lastRun = now
	return true
}

// periodic is the backend's PeriodicFunc (Vault calls it about once a minute): the revocation
// sync below, auto-tidy when it is configured and due, and reconciliation of unsettled
// issuances (reconcile.go).
func (b *backend) periodic(ctx context.Context, req *logical.Request) error {
	if b.readOnlyNode() {
		return nil
	}
	now := time.Now()
	if err := b.tidy.autoTidyIfDue(ctx, req.Storage, now); err != nil {
		return err
	}
	b.periodicReconcile(ctx, req.Storage)
	if !b.revocationSync.due(now) {
		return nil
	}
	return b.syncRevocations(ctx, req.Storage)
}

// syncRevocations marks stored certificates revoked when the CA lists them as revoked. Failures
// for one issuer are logged and retried at the next run; they never fail the rollback.
func (b *backend) syncRevocations(ctx context.Context, s logical.Storage) error {
	if b.readOnlyNode() {
		return nil
	}
	conf, err := loadConfig(ctx, s)
	if err != nil || conf == nil {
		return err
	}
	drv, err := b.currentDriver(ctx, s)
	if err != nil {
		b.Logger().Warn("revocation sync skipped: the CA driver is unavailable", "error", err)
		return nil
	}
	lister, ok := drv.(RevocationLister)
	if !ok {
		return nil
	}
	issuers, err := mountIssuers(ctx, s, drv)
	if err != nil {
		return err
	}
	state, err := loadRevocationSyncState(ctx, s)
	if err != nil {
		return err
	}
	for _, iss := range issuers {
		started := time.Now().UTC()
		since := state.Since[iss.ID]
		if !since.IsZero() {
			since = since.Add(-revocationSyncOverlap)
		}
		revoked, err := lister.RevokedSince(ctx, iss.CA, since)
		if err != nil {
			b.Logger().Warn("revocation sync: the CA did not list revocations", "ca", iss.CA, "error", err)
			continue
		}
		for _, r := range revoked {
			if err := recordCARevocation(ctx, s, r); err != nil {
				return err
			}
		}
		state.Since[iss.ID] = started
	}
	return storeRevocationSyncState(ctx, s, state)
}

// recordCARevocation marks one stored certificate revoked; certificates this mount does not
// hold (no_store, other mounts) and ones already marked are left alone.
func recordCARevocation(ctx context.Context, s logical.Storage, r RevokedCertificate) error {
	rec, err := getCertRecord(ctx, s, serialFromBig(r.SerialNumber))
	if err != nil || rec == nil || rec.revoked() {
		return err
	}
	at := r.RevokedAt
	if at.IsZero() {
		at = time.Now()
	}
	return applyRevocation(ctx, s, rec, &RevokeResponse{RevokedAt: at, Message: "revoked in the CA"})
}

// readOnlyNode is true where this engine must not write (performance standbys and secondaries
// keep their own local certificate records; DR secondaries serve nothing).
func (b *backend) readOnlyNode() bool {
	sys := b.System()
	if sys == nil {
		return false
	}
	state := sys.ReplicationState()
	return state.HasState(consts.ReplicationPerformanceStandby) || state.HasState(consts.ReplicationDRSecondary)
}

func loadRevocationSyncState(ctx context.Context, s logical.Storage) (*revocationSyncState, error) {
	state := &revocationSyncState{Since: map[string]time.Time{}}
	if _, err := getJSONInto(ctx, s, revocationSyncKey, "the revocation sync state", state); err != nil {
		return nil, err
	}
	if state.Since == nil {
		state.Since = map[string]time.Time{}
	}
	return state, nil
}

func storeRevocationSyncState(ctx context.Context, s logical.Storage, state *revocationSyncState) error {
	return putJSON(ctx, s, revocationSyncKey, "the revocation sync state", state)
}
