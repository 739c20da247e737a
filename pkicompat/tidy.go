package pkicompat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	uuid "github.com/hashicorp/go-uuid"
	"github.com/hashicorp/vault/sdk/logical"
)

// Native PKI's tidy, tidy-status and tidy-cancel, so operators' cron jobs and terraform that call
// them keep working. CA keys, CRLs and CA certificates live in the CA, so tidy here only removes
// this mount's certificate records (certs/) and their revocation markers (revoked/) once the
// certificate has been expired for longer than safety_buffer. It never calls the CA and never
// takes the driver. Like native, one tidy runs at a time per mount, in the background, with its
// status in memory.

// Native defaults (builtin/logical/pki defaultTidyConfig).
const (
	defaultTidySafetyBuffer       = 72 * time.Hour
	defaultTidyIssuerSafetyBuffer = 365 * 24 * time.Hour
	defaultTidyQueueSafetyBuffer  = 48 * time.Hour
	defaultTidyAcmeSafetyBuffer   = 30 * 24 * time.Hour
)

// tidyConfig is native's tidy configuration (builtin/logical/pki tidyConfig): the parameters of
// one tidy, and with Enabled, Interval and the rest, the stored auto-tidy configuration, under
// native's storage field names. A tidy request and an auto-tidy run are the same struct.
type tidyConfig struct {
	Enabled           bool          `json:"enabled"`
	Interval          time.Duration `json:"interval_duration"`
	MinStartupBackoff time.Duration `json:"min_startup_backoff_duration"`
	MaxStartupBackoff time.Duration `json:"max_startup_backoff_duration"`

	CertStore         bool `json:"tidy_cert_store"`
	RevokedCerts      bool `json:"tidy_revoked_certs"`
	IssuerAssocs      bool `json:"tidy_revoked_cert_issuer_associations"`
	ExpiredIssuers    bool `json:"tidy_expired_issuers"`
	BackupBundle      bool `json:"tidy_move_legacy_ca_bundle"`
	RevocationQueue   bool `json:"tidy_revocation_queue"`
	CrossRevokedCerts bool `json:"tidy_cross_cluster_revoked_certs"`
	Acme              bool `json:"tidy_acme"`
	CertMetadata      bool `json:"tidy_cert_metadata"`
	CMPV2NonceStore   bool `json:"tidy_cmpv2_nonce_store"`

	SafetyBuffer       time.Duration `json:"safety_buffer"`
	IssuerSafetyBuffer time.Duration `json:"issuer_safety_buffer"`
	QueueSafetyBuffer  time.Duration `json:"revocation_queue_safety_buffer"`
	AcmeSafetyBuffer   time.Duration `json:"acme_account_safety_buffer"`
	PauseDuration      time.Duration `json:"pause_duration"`

	MaintainCount  bool `json:"maintain_stored_certificate_counts"`
	PublishMetrics bool `json:"publish_stored_certificate_count_metrics"`

	// LegacyBackup (tidy_legacy_backup, not native) removes the copy the upgrade from Keyfactor's
	// older plugin kept (migrate_legacy.go). A one-off request: never part of auto-tidy.
	LegacyBackup bool `json:"-"`
	// PendingRequests (tidy_pending_requests, not native) removes requests held for approval in
	// the CA, with the keys kept for them, once their role's pending_ttl has passed
	// (pending.go). tidy_cert_store does the same, so auto-tidy configured the native way
	// cleans them too; it is not a flag of the table, whose keys native's reads answer.
	PendingRequests bool `json:"-"`
}

// tidyFlag is one of native's tidy operation flags.
type tidyFlag struct {
	name string
	of   func(*tidyConfig) *bool
	// notHeld names what this engine keeps none of, for the flags about things the CA holds
	// (issuers, CRLs, revocations) or that do not exist here; "" for the flags it acts on.
	notHeld string
	// description is the field's help when notHeld is "".
	description string
}

// tidyFlags is the one table of native's tidy operation flags, in native's order.
var tidyFlags = []tidyFlag{
	{name: "tidy_cert_store", of: func(c *tidyConfig) *bool { return &c.CertStore }, description: "Remove expired certificate records."},
	{name: "tidy_revoked_certs", of: func(c *tidyConfig) *bool { return &c.RevokedCerts }, description: "Remove expired revoked certificate records and their revocation markers."},
	{name: "tidy_revoked_cert_issuer_associations", of: func(c *tidyConfig) *bool { return &c.IssuerAssocs }, notHeld: "issuer associations on revocation entries (the CA keeps revocations)"},
	{name: "tidy_expired_issuers", of: func(c *tidyConfig) *bool { return &c.ExpiredIssuers }, notHeld: "issuers (they are the CA's)"},
	{name: "tidy_move_legacy_ca_bundle", of: func(c *tidyConfig) *bool { return &c.BackupBundle }, notHeld: "legacy CA bundle"},
	{name: "tidy_revocation_queue", of: func(c *tidyConfig) *bool { return &c.RevocationQueue }, notHeld: "cross-cluster revocation queue"},
	{name: "tidy_cross_cluster_revoked_certs", of: func(c *tidyConfig) *bool { return &c.CrossRevokedCerts }, notHeld: "cross-cluster revoked certificate store"},
	{name: "tidy_acme", of: func(c *tidyConfig) *bool { return &c.Acme }, notHeld: "ACME accounts or orders"},
	{name: "tidy_cert_metadata", of: func(c *tidyConfig) *bool { return &c.CertMetadata }, description: "Vault Enterprise only; refused as native OSS refuses it."},
	{name: "tidy_cmpv2_nonce_store", of: func(c *tidyConfig) *bool { return &c.CMPV2NonceStore }, notHeld: "CMPv2 nonce store"},
}

// defaultTidyConfig is native's default: nothing enabled, native's buffers and intervals.
func defaultTidyConfig() *tidyConfig {
	return &tidyConfig{
		Interval:           12 * time.Hour,
		MinStartupBackoff:  5 * time.Minute,
		MaxStartupBackoff:  15 * time.Minute,
		SafetyBuffer:       defaultTidySafetyBuffer,
		IssuerSafetyBuffer: defaultTidyIssuerSafetyBuffer,
		QueueSafetyBuffer:  defaultTidyQueueSafetyBuffer,
		AcmeSafetyBuffer:   defaultTidyAcmeSafetyBuffer,
	}
}

// anyEnabled reports whether any tidy operation is set.
func (c *tidyConfig) anyEnabled() bool {
	if c.LegacyBackup || c.PendingRequests {
		return true
	}
	for _, f := range tidyFlags {
		if *f.of(c) {
			return true
		}
	}
	return false
}

// ignoredFlags lists the requested operations this engine has nothing to do for, in table order.
func (c *tidyConfig) ignoredFlags() []string {
	var names []string
	for _, f := range tidyFlags {
		if f.notHeld != "" && *f.of(c) {
			names = append(names, f.name)
		}
	}
	return names
}

var errTidyCancelled = errors.New("tidy operation cancelled")

// tidyState names are native's, as tidy-status reports them.
type tidyState string

const (
	tidyInactive   tidyState = "Inactive"
	tidyRunning    tidyState = "Running"
	tidyFinished   tidyState = "Finished"
	tidyError      tidyState = "Error"
	tidyCancelling tidyState = "Cancelling"
	tidyCancelled  tidyState = "Cancelled"
)

// tidyRunner holds one mount's tidy: whether one runs, its status and how to stop it.
type tidyRunner struct {
	b *backend

	mu       sync.Mutex
	running  bool
	cancel   chan struct{} // closed by tidy-cancel; one per run
	state    tidyState
	params   tidyConfig
	started  time.Time
	finished time.Time
	message  string
	err      error

	certsDeleted   uint
	revokedDeleted uint

	// lastRun is what native calls last_auto_tidy_finished: when this mount was set up, then
	// when a tidy last started or finished without error.
	lastRun time.Time
	// backendID stands in for native's internal_backend_uuid, which comes from the mount's
	// BackendConfig that this engine's Factory does not keep.
	backendID string
}

func newTidyRunner(b *backend) *tidyRunner {
	id, err := uuid.GenerateUUID()
	if err != nil {
		id = ""
	}
	return &tidyRunner{b: b, state: tidyInactive, lastRun: time.Now(), backendID: id}
}

// start begins a tidy unless one is running; false when one is.
func (t *tidyRunner) start(params *tidyConfig, s logical.Storage) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.running {
		return false
	}
	now := time.Now()
	t.running = true
	t.cancel = make(chan struct{})
	t.state = tidyRunning
	t.params = *params
	t.started = now
	t.finished = time.Time{}
	t.message = ""
	t.err = nil
	t.certsDeleted, t.revokedDeleted = 0, 0
	t.lastRun = now
	go t.run(params, s, t.cancel)
	return true
}

// run is the background tidy. It uses its own context: the request that started it is over.
func (t *tidyRunner) run(params *tidyConfig, s logical.Storage, cancel <-chan struct{}) {
	ctx := context.Background()
	err := t.tidy(ctx, params, s, cancel)
	if err != nil && !errors.Is(err, errTidyCancelled) && t.b.Logger() != nil {
		t.b.Logger().Error("tidy failed", "error", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running = false
	t.finished = time.Now()
	t.err = err
	switch {
	case err == nil:
		t.state = tidyFinished
		t.lastRun = t.finished
	case errors.Is(err, errTidyCancelled):
		t.state = tidyCancelled
	default:
		t.state = tidyError
	}
}

func (t *tidyRunner) tidy(ctx context.Context, params *tidyConfig, s logical.Storage, cancel <-chan struct{}) error {
	if params.CertStore {
		if err := t.tidyCertStore(ctx, params, s, cancel); err != nil {
			return err
		}
	}
	if cancelled(cancel) {
		return errTidyCancelled
	}
	if params.RevokedCerts {
		if err := t.tidyRevokedMarkers(ctx, params, s, cancel); err != nil {
			return err
		}
	}
	if (params.PendingRequests || params.CertStore) && !cancelled(cancel) {
		if err := t.tidyPendingRequests(ctx, s, cancel); err != nil {
			return err
		}
	}
	if params.LegacyBackup && !cancelled(cancel) {
		if _, err := removeLegacyBackup(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// tidyCertStore removes every certificate record expired past the buffer, with its revocation
// marker: the marker only indexes the record, and one left alone would list a serial that
// cert/:serial cannot show.
func (t *tidyRunner) tidyCertStore(ctx context.Context, params *tidyConfig, s logical.Storage, cancel <-chan struct{}) error {
	keys, err := s.List(ctx, certStoragePrefix)
	if err != nil {
		return fmt.Errorf("listing certificate records: %w", err)
	}
	for i, key := range keys {
		t.setMessage(fmt.Sprintf("Tidying certificate store: checking entry %d of %d", i, len(keys)))
		if err := pauseOrCancel(params.PauseDuration, cancel); err != nil {
			return err
		}
		removed, err := removeIfExpired(ctx, s, key, params.SafetyBuffer)
		if err != nil {
			return err
		}
		if removed.record {
			t.count(&t.certsDeleted)
		}
		if removed.marker {
			t.count(&t.revokedDeleted)
		}
	}
	return nil
}

// tidyRevokedMarkers removes revoked records expired past the buffer, and markers whose record
// is gone (native likewise drops revocation entries that no longer hold anything).
func (t *tidyRunner) tidyRevokedMarkers(ctx context.Context, params *tidyConfig, s logical.Storage, cancel <-chan struct{}) error {
	keys, err := s.List(ctx, revokedStoragePrefix)
	if err != nil {
		return fmt.Errorf("listing revoked certificates: %w", err)
	}
	for i, key := range keys {
		t.setMessage(fmt.Sprintf("Tidying revoked certificates: checking certificate %d of %d", i, len(keys)))
		if err := pauseOrCancel(params.PauseDuration, cancel); err != nil {
			return err
		}
		removed, err := removeIfExpired(ctx, s, key, params.SafetyBuffer)
		if err != nil {
			return err
		}
		if removed.marker {
			t.count(&t.revokedDeleted)
		}
	}
	return nil
}

// removal says what removeIfExpired deleted.
type removal struct{ record, marker bool }

// removeIfExpired deletes the record stored under key (a storage serial) and its revocation
// marker when the certificate expired more than buffer ago, or the marker alone when the record
// is missing. An unreadable record stops the tidy, as in native: deleting what cannot be read
// would hide a storage problem.
func removeIfExpired(ctx context.Context, s logical.Storage, key string, buffer time.Duration) (removal, error) {
	serial := displaySerial(key)
	rec, err := getCertRecord(ctx, s, serial)
	if err != nil {
		return removal{}, err
	}
	var done removal
	if rec != nil {
		cert, err := rec.certificate()
		if err != nil {
			return removal{}, err
		}
		if time.Since(cert.NotAfter) <= buffer {
			return removal{}, nil
		}
		if err := s.Delete(ctx, certStoragePrefix+key); err != nil {
			return removal{}, fmt.Errorf("deleting certificate record %s: %w", serial, err)
		}
		done.record = true
	}
	marker, err := s.Get(ctx, revokedStoragePrefix+key)
	if err != nil {
		return done, fmt.Errorf("reading the revocation marker of %s: %w", serial, err)
	}
	if marker != nil {
		if err := s.Delete(ctx, revokedStoragePrefix+key); err != nil {
			return done, fmt.Errorf("deleting the revocation marker of %s: %w", serial, err)
		}
		done.marker = true
	}
	return done, nil
}

// pauseOrCancel waits pause (native's pause_duration) unless the tidy is cancelled first.
func pauseOrCancel(pause time.Duration, cancel <-chan struct{}) error {
	if cancelled(cancel) {
		return errTidyCancelled
	}
	if pause <= 0 {
		return nil
	}
	timer := time.NewTimer(pause)
	defer timer.Stop()
	select {
	case <-cancel:
		return errTidyCancelled
	case <-timer.C:
		return nil
	}
}

func cancelled(cancel <-chan struct{}) bool {
	select {
	case <-cancel:
		return true
	default:
		return false
	}
}

func (t *tidyRunner) setMessage(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.message = msg
}

func (t *tidyRunner) count(counter *uint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	*counter++
}

// autoTidyIfDue starts the configured tidy when auto-tidy is enabled and its interval has
// passed since the last tidy (as native, counted from mount start, then from each tidy). It is
// called from the backend's periodic function; a tidy already running is left alone.
func (t *tidyRunner) autoTidyIfDue(ctx context.Context, s logical.Storage, now time.Time) error {
	conf, err := loadAutoTidyConfig(ctx, s)
	if err != nil {
		return err
	}
	if !conf.Enabled || !conf.anyEnabled() {
		return nil
	}
	t.mu.Lock()
	due := !t.running && now.Sub(t.lastRun) >= conf.Interval
	t.mu.Unlock()
	if due {
		t.start(conf, s)
	}
	return nil
}
