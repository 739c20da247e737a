package pkicompat

import (
	"context"
	"errors"
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

// revocationSyncer remembers when the sync last completed on this node. A run that did not
// complete (no config yet, the CA unreachable, a storage error) is not remembered, so the next
// rollback tick tries again instead of waiting a whole interval: after a failover the new
// active node's first sync must not be lost to one transient failure.
type revocationSyncer struct {
	mu        sync.Mutex
	lastRun   time.Time
	running   bool
	completed uint64 // syncs completed on this node, for the log
}

// start reports whether a sync should run now; when it does, the caller must call finish.
func (r *revocationSyncer) start(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running || (!r.lastRun.IsZero() && now.Sub(r.lastRun) < revocationSyncInterval) {
		return false
	}
	r.running = true
	return true
}

// finish ends a run started at startedAt; only a completed run counts as the last run.
func (r *revocationSyncer) finish(startedAt time.Time, completed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = false
	if completed {
		r.lastRun = startedAt
		r.completed++
	}
}

// periodic is the backend's PeriodicFunc (Vault calls it about once a minute, on the active
// node only): auto-tidy when it is configured and due, reconciliation of unsettled issuances
// (reconcile.go) and the revocation sync below. Each runs whatever the others did; their
// errors are joined into the one Vault logs ("error rolling back").
func (b *backend) periodic(ctx context.Context, req *logical.Request) error {
	if b.readOnlyNode() {
		return nil
	}
	now := time.Now()
	tidyErr := b.tidy.autoTidyIfDue(ctx, req.Storage, now)
	b.periodicReconcile(ctx, req.Storage)
	return errors.Join(tidyErr, b.periodicRevocationSync(ctx, req.Storage, now))
}

// periodicRevocationSync runs the sync when it is due and logs what it did.
func (b *backend) periodicRevocationSync(ctx context.Context, s logical.Storage, now time.Time) error {
	if !b.revocationSync.start(now) {
		return nil
	}
	result, err := b.syncRevocations(ctx, s)
	b.revocationSync.finish(now, err == nil && result.complete())
	switch {
	case err != nil:
		b.Logger().Warn("revocation sync failed; retrying at the next rollback", "error", err)
	case result.skipped != "":
		b.Logger().Debug("revocation sync skipped", "reason", result.skipped)
	case !result.complete():
		b.Logger().Warn("revocation sync incomplete; retrying at the next rollback",
			"issuers", result.issuers, "failed_issuers", result.failedIssuers, "recorded", result.recorded)
	default:
		b.Logger().Info("revocation sync finished", "issuers", result.issuers, "listed", result.listed,
			"recorded", result.recorded, "duration", time.Since(now).Round(time.Millisecond).String())
	}
	return err
}

// revocationSyncResult is what one sync did, for the log and for deciding whether it completed.
type revocationSyncResult struct {
	skipped       string // why nothing was asked of the CA ("" when it was)
	issuers       int    // issuers asked
	failedIssuers int    // issuers whose listing failed (retried at the next rollback)
	listed        int    // revocations the CA listed
	recorded      int    // stored certificate records newly marked revoked
}

// complete is true when the sync asked the CA about every issuer, or had nothing to ask
// because this mount cannot list revocations. A mount without config is not complete: its
// first sync runs at the first rollback after the config is written.
func (r revocationSyncResult) complete() bool {
	return r.failedIssuers == 0 && r.skipped != skipNoConfig && r.skipped != skipNoDriver
}

const (
	skipNoConfig = "the mount has no config"
	skipNoDriver = "the CA driver is unavailable"
	skipNoLister = "the CA driver cannot list revocations"
)

// syncRevocations marks stored certificates revoked when the CA lists them as revoked. A
// failure for one issuer is counted and retried at the next run; it never fails the rollback.
func (b *backend) syncRevocations(ctx context.Context, s logical.Storage) (revocationSyncResult, error) {
	var result revocationSyncResult
	if b.readOnlyNode() {
		return result, nil
	}
	conf, err := loadConfig(ctx, s)
	if err != nil {
		return result, err
	}
	if conf == nil {
		result.skipped = skipNoConfig
		return result, nil
	}
	drv, err := b.currentDriver(ctx, s)
	if err != nil {
		result.skipped = skipNoDriver
		b.Logger().Warn("revocation sync skipped: the CA driver is unavailable", "error", err)
		return result, nil
	}
	lister, ok := drv.(RevocationLister)
	if !ok {
		result.skipped = skipNoLister
		return result, nil
	}
	issuers, err := mountIssuers(ctx, s, drv)
	if err != nil {
		return result, err
	}
	state, err := loadRevocationSyncState(ctx, s)
	if err != nil {
		return result, err
	}
	for _, iss := range issuers {
		result.issuers++
		started := time.Now().UTC()
		since := state.Since[iss.ID]
		if !since.IsZero() {
			since = since.Add(-revocationSyncOverlap)
		}
		revoked, err := lister.RevokedSince(ctx, iss.CA, since)
		if err != nil {
			result.failedIssuers++
			b.Logger().Warn("revocation sync: the CA did not list revocations", "ca", iss.CA, "error", err)
			continue
		}
		result.listed += len(revoked)
		for _, r := range revoked {
			marked, err := recordCARevocation(ctx, s, r)
			if err != nil {
				return result, err
			}
			if marked {
				result.recorded++
			}
		}
		state.Since[iss.ID] = started
	}
	return result, storeRevocationSyncState(ctx, s, state)
}

// recordCARevocation marks one stored certificate revoked; certificates this mount does not
// hold (no_store, other mounts) and ones already marked are left alone.
// It reports whether it marked the record.
func recordCARevocation(ctx context.Context, s logical.Storage, r RevokedCertificate) (bool, error) {
	rec, err := getCertRecord(ctx, s, serialFromBig(r.SerialNumber))
	if err != nil || rec == nil || rec.revoked() {
		return false, err
	}
	at := r.RevokedAt
	if at.IsZero() {
		at = time.Now()
	}
	if err := applyRevocation(ctx, s, rec, &RevokeResponse{RevokedAt: at, Message: "revoked in the CA"}); err != nil {
		return false, err
	}
	return true, nil
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
