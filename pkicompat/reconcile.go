package pkicompat

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// Reconciliation settles the issuance intents (intent.go) left behind when the engine never
// learned an issuance's outcome. For each intent older than the grace period it asks the CA,
// through the driver's IssuedFinder, for certificates issued for the intent's public key since
// the request, and applies the mount's orphan policy to each one Vault does not hold:
//
//	record  store the certificate record, as a successful issuance would have (sign/: the
//	        caller holds the key and may retry or fetch it from cert/:serial)
//	revoke  revoke it at the CA as superseded, with a comment naming the mount (issue/: the
//	        private key was generated here and is gone, so nobody can use the certificate)
//	report  log it and count it; an operator decides
//
// Nothing found closes the intent. It runs from the periodic function on the node that writes
// (as the revocation sync and auto-tidy do), or on demand at reconcile.

const (
	// defaultReconcileGrace leaves an issuance alone while it may still be running: well above
	// Vault's default max request duration (90s) and any sensible CA timeout.
	defaultReconcileGrace = 5 * time.Minute
	// reconcileSearchMargin widens the search window before the request: CAs backdate notBefore
	// (AD CS by 10 minutes by default) and clocks differ.
	reconcileSearchMargin = time.Hour

	orphanRevoke = "revoke"
	orphanRecord = "record"
	orphanReport = "report"

	// revokeReasonSuperseded is RFC 5280's CRLReason superseded(4).
	revokeReasonSuperseded = 4
)

// reconcileConfig is stored at config/reconcile.
type reconcileConfig struct {
	// OrphanPolicy applies to both modes when set; empty means the defaults (revoke for issue,
	// record for sign).
	OrphanPolicy string        `json:"orphan_policy"`
	GracePeriod  time.Duration `json:"grace_period"`
}

func defaultReconcileConfig() *reconcileConfig {
	return &reconcileConfig{GracePeriod: defaultReconcileGrace}
}

// policyFor is the orphan policy for an intent's mode.
func (c *reconcileConfig) policyFor(mode string) string {
	if c.OrphanPolicy != "" {
		return c.OrphanPolicy
	}
	if mode == intentModeIssue {
		return orphanRevoke
	}
	return orphanRecord
}

func loadReconcileConfig(ctx context.Context, s logical.Storage) (*reconcileConfig, error) {
	conf := defaultReconcileConfig()
	if _, err := getJSONInto(ctx, s, reconcileConfigKey, reconcileConfigKey, conf); err != nil {
		return nil, err
	}
	if conf.GracePeriod <= 0 {
		conf.GracePeriod = defaultReconcileGrace
	}
	return conf, nil
}

// reconcileCounts are the outcomes of settling intents.
type reconcileCounts struct {
	Recorded        int `json:"recorded"`
	Revoked         int `json:"revoked"`
	Reported        int `json:"reported"`
	ClosedNotFound  int `json:"closed_not_found"`
	AlreadyRecorded int `json:"already_recorded"`
	Errors          int `json:"errors"`
}

func (c *reconcileCounts) add(o reconcileCounts) {
	c.Recorded += o.Recorded
	c.Revoked += o.Revoked
	c.Reported += o.Reported
	c.ClosedNotFound += o.ClosedNotFound
	c.AlreadyRecorded += o.AlreadyRecorded
	c.Errors += o.Errors
}

func (c reconcileCounts) data() map[string]interface{} {
	return map[string]interface{}{
		"recorded":         c.Recorded,
		"revoked":          c.Revoked,
		"reported":         c.Reported,
		"closed_not_found": c.ClosedNotFound,
		"already_recorded": c.AlreadyRecorded,
		"errors":           c.Errors,
	}
}

// reconcileStatus is what reconcile-status shows: totals since the mount was created and the
// last pass.
type reconcileStatus struct {
	Totals       reconcileCounts `json:"totals"`
	LastRun      reconcileCounts `json:"last_run"`
	LastStarted  time.Time       `json:"last_started"`
	LastFinished time.Time       `json:"last_finished"`
	LastError    string          `json:"last_error,omitempty"`
	// LastPending is how many intents the last pass left (younger than the grace period, or
	// not settled because of an error).
	LastPending int `json:"last_pending"`
}

func loadReconcileStatus(ctx context.Context, s logical.Storage) (*reconcileStatus, error) {
	st := &reconcileStatus{}
	if _, err := getJSONInto(ctx, s, reconcileStatusKey, "the reconciliation status", st); err != nil {
		return nil, err
	}
	return st, nil
}

// reconciler runs one pass at a time on this node.
type reconciler struct {
	mu sync.Mutex
}

// errNoFinder is the pass's error when the driver cannot search its CA: intents stay pending.
var errNoFinder = errors.New("the CA driver cannot search issued certificates, so unsettled issuances stay pending")

// reconcile settles every intent older than the grace period and returns what this pass did.
func (b *backend) reconcile(ctx context.Context, s logical.Storage) (*reconcileStatus, error) {
	b.reconciler.mu.Lock()
	defer b.reconciler.mu.Unlock()
	b.waitForSettles()

	status, err := loadReconcileStatus(ctx, s)
	if err != nil {
		return nil, err
	}
	conf, err := loadReconcileConfig(ctx, s)
	if err != nil {
		return nil, err
	}
	ids, err := s.List(ctx, intentStoragePrefix)
	if err != nil {
		return nil, fmt.Errorf("listing issuance intents: %w", err)
	}
	now := time.Now().UTC()
	status.LastStarted, status.LastError, status.LastRun = now, "", reconcileCounts{}
	pending, passErr := b.settleIntents(ctx, s, conf, ids, now, &status.LastRun)
	if passErr != nil {
		status.LastError = passErr.Error()
	}
	status.LastPending = pending
	status.Totals.add(status.LastRun)
	status.LastFinished = time.Now().UTC()
	if err := putJSON(ctx, s, reconcileStatusKey, "the reconciliation status", status); err != nil {
		return nil, err
	}
	return status, nil
}

// settleIntents works through ids and returns how many remain pending. An error that stops
// the whole pass (no driver, no search capability) is returned; per-intent errors are counted.
func (b *backend) settleIntents(ctx context.Context, s logical.Storage, conf *reconcileConfig, ids []string, now time.Time, counts *reconcileCounts) (int, error) {
	var due []*issuanceIntent
	pending := 0
	for _, id := range ids {
		intent, err := getIntent(ctx, s, id)
		if err != nil {
			counts.Errors++
			pending++
			b.Logger().Warn("reconcile: unreadable issuance intent", "id", id, "error", err)
			continue
		}
		if intent == nil {
			continue // settled meanwhile by its request
		}
		if now.Sub(intent.RequestedAt) < conf.GracePeriod {
			pending++
			continue
		}
		due = append(due, intent)
	}
	if len(due) == 0 {
		return pending, nil
	}
	drv, err := b.currentDriver(ctx, s)
	if err != nil {
		return pending + len(due), fmt.Errorf("the CA driver is unavailable: %w", err)
	}
	finder, ok := drv.(IssuedFinder)
	if !ok {
		return pending + len(due), errNoFinder
	}
	for _, intent := range due {
		if ctx.Err() != nil {
			return pending + len(due), ctx.Err()
		}
		settled, err := b.resolveIntent(ctx, s, drv, finder, conf, intent, now, counts)
		if err != nil {
			counts.Errors++
			b.Logger().Warn("reconcile: issuance not settled, retried at the next pass", "id", intent.ID, "ca", intent.CA, "error", err)
		}
		if !settled {
			pending++
			continue
		}
		if err := s.Delete(ctx, intentStoragePrefix+intent.ID); err != nil {
			counts.Errors++
			pending++
		}
	}
	return pending, nil
}

// resolveIntent looks up one intent's certificates at the CA and applies the orphan policy to
// each. It reports whether the intent is settled (and may be removed).
func (b *backend) resolveIntent(ctx context.Context, s logical.Storage, drv Driver, finder IssuedFinder, conf *reconcileConfig, intent *issuanceIntent, now time.Time, counts *reconcileCounts) (bool, error) {
	keyHash, err := hex.DecodeString(intent.PublicKeySHA256)
	if err != nil || len(keyHash) == 0 {
		// An intent that cannot be searched for can never be settled; drop it loudly.
		b.Logger().Error("reconcile: dropping an issuance intent without a usable key hash", "id", intent.ID)
		return true, nil
	}
	found, err := finder.FindIssued(ctx, &IssuedQuery{
		CA:              intent.CA,
		Since:           intent.RequestedAt.Add(-reconcileSearchMargin),
		Until:           now,
		PublicKeySHA256: keyHash,
		CommonName:      intent.CommonName,
	})
	if err != nil {
		return false, fmt.Errorf("searching the CA: %w", err)
	}
	if len(found) == 0 {
		counts.ClosedNotFound++
		return true, nil
	}
	settled := true
	for _, ic := range found {
		if ic.Certificate == nil {
			continue
		}
		serial := serialFromCert(ic.Certificate)
		rec, err := getCertRecord(ctx, s, serial)
		if err != nil {
			return false, err
		}
		if rec != nil {
			counts.AlreadyRecorded++
			continue
		}
		policy := conf.policyFor(intent.Mode)
		if policy == orphanRecord && intent.NoStore {
			// The role stores nothing; recording would contradict it.
			policy = orphanReport
		}
		switch policy {
		case orphanRecord:
			if err := b.recordOrphan(ctx, s, intent, ic); err != nil {
				return false, err
			}
			counts.Recorded++
		case orphanRevoke:
			if ic.Revoked {
				counts.Revoked++
				continue
			}
			if _, err := drv.Revoke(ctx, &RevokeRequest{
				Certificate:   ic.Certificate,
				CertificateID: ic.CertificateID,
				Reason:        revokeReasonSuperseded,
				Comment:       orphanRevokeComment(intent),
			}); err != nil {
				settled = false
				b.Logger().Warn("reconcile: could not revoke an undelivered certificate", "serial", serial, "error", err)
				counts.Errors++
				continue
			}
			counts.Revoked++
		default:
			b.Logger().Warn("reconcile: the CA issued a certificate this mount never delivered",
				"serial", serial, "ca", ic.CA, "role", intent.Role, "mode", intent.Mode, "requested_at", intent.RequestedAt)
			counts.Reported++
		}
	}
	return settled, nil
}

// orphanRevokeComment names the mount and why, for whoever reads the revocation in the CA.
func orphanRevokeComment(intent *issuanceIntent) string {
	mount := intent.Mount
	if mount == "" {
		mount = "(unknown mount)"
	}
	return fmt.Sprintf("Revoked by Vault mount %s: issued for a request whose answer never reached Vault (role %q, requested %s); its private key was not kept",
		mount, intent.Role, intent.RequestedAt.Format(time.RFC3339))
}

// recordOrphan stores the certificate record an undelivered issuance would have stored.
func (b *backend) recordOrphan(ctx context.Context, s logical.Storage, intent *issuanceIntent, ic IssuedCertificate) error {
	ca := ic.CA
	if ca == "" {
		ca = intent.CA
	}
	issuer, err := b.rememberIssuer(ctx, s, ca)
	if err != nil {
		issuer = newIssuerEntry(ca)
	}
	return putCertRecord(ctx, s, &certRecord{
		SerialNumber:   serialFromCert(ic.Certificate),
		CertificateDER: ic.Certificate.Raw,
		CA:             ca,
		IssuerID:       issuer.ID,
		CertificateID:  ic.CertificateID,
		Template:       intent.Template,
		Role:           intent.Role,
		Metadata:       intent.Meta,
		IssuedAt:       time.Now().UTC(),
	})
}

// periodicReconcile runs a pass when intents exist; errors are logged, never fail the rollback.
func (b *backend) periodicReconcile(ctx context.Context, s logical.Storage) {
	b.waitForSettles()
	ids, err := s.List(ctx, intentStoragePrefix)
	if err != nil || len(ids) == 0 {
		return
	}
	if _, err := b.reconcile(ctx, s); err != nil {
		b.Logger().Warn("reconcile: pass failed", "error", err)
	}
}
