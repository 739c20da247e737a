package pkicompat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-secure-stdlib/parseutil"
	uuid "github.com/hashicorp/go-uuid"
	"github.com/hashicorp/vault/sdk/framework"
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

// Native's texts, word for word: scripts and people grep for them.
const (
	tidyStartedWarning   = "Tidy operation successfully started. Any information from the operation will be printed to Vault's server logs."
	tidyNoneWarning      = "Manual tidy requested but no tidy operations were set. Enable at least one tidy operation to be run (" + tidyOperationList + ")."
	tidyOperationList    = "tidy_cert_store / tidy_revoked_certs / tidy_revoked_cert_issuer_associations / tidy_expired_issuers / tidy_move_legacy_ca_bundle / tidy_acme / tidy_cross_cluster_revoked_certs / tidy_revocation_queue / tidy_cert_metadata / tidy_cmpv2_nonce_store"
	tidyRunningWarning   = "Tidy operation already in progress."
	tidyNoCancelWarning  = "Tidy operation cannot be cancelled as none is currently running."
	tidyMetadataRefusal  = "certificate metadata is only supported on Vault Enterprise"
	tidyNothingHeldIntro = "this engine holds no "
)

// tidyFlagsNotHeld are the native tidy operations that concern things this engine does not
// keep (the CA holds issuers and CRLs; there is no legacy bundle, revocation queue, ACME or
// CMPv2 store). They are accepted, as native accepts them, and named in a warning.
var tidyFlagsNotHeld = []struct{ flag, what string }{
	{"tidy_revoked_cert_issuer_associations", "issuer associations on revocation entries (the CA keeps revocations)"},
	{"tidy_expired_issuers", "issuers (they are the CA's)"},
	{"tidy_move_legacy_ca_bundle", "legacy CA bundle"},
	{"tidy_revocation_queue", "cross-cluster revocation queue"},
	{"tidy_cross_cluster_revoked_certs", "cross-cluster revoked certificate store"},
	{"tidy_acme", "ACME accounts or orders"},
	{"tidy_cmpv2_nonce_store", "CMPv2 nonce store"},
}

var errTidyCancelled = errors.New("tidy operation cancelled")

// tidyRequest is one tidy's parameters, as native reports them back in tidy-status.
type tidyRequest struct {
	CertStore    bool
	RevokedCerts bool
	// NotHeld holds the value of each tidyFlagsNotHeld flag.
	NotHeld            map[string]bool
	CertMetadata       bool
	SafetyBuffer       time.Duration
	IssuerSafetyBuffer time.Duration
	QueueSafetyBuffer  time.Duration
	AcmeSafetyBuffer   time.Duration
	Pause              time.Duration
}

func (r *tidyRequest) anyEnabled() bool {
	if r.CertStore || r.RevokedCerts || r.CertMetadata {
		return true
	}
	for _, v := range r.NotHeld {
		if v {
			return true
		}
	}
	return false
}

// ignoredFlags lists the requested operations this engine has nothing to do for, in a fixed order.
func (r *tidyRequest) ignoredFlags() []string {
	var names []string
	for _, f := range tidyFlagsNotHeld {
		if r.NotHeld[f.flag] {
			names = append(names, f.flag)
		}
	}
	return names
}

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
	params   tidyRequest
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

func (b *backend) tidyPaths() []*framework.Path {
	t := b.tidy
	return []*framework.Path{
		{
			Pattern: "tidy$",
			Fields:  tidyFields(),
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.UpdateOperation: &framework.PathOperation{
					Callback:                  t.handleTidy,
					ForwardPerformanceStandby: true,
				},
			},
			HelpSynopsis:    "Remove expired certificate records from this mount's storage.",
			HelpDescription: tidyHelp,
		},
		{
			Pattern: "tidy-status$",
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ReadOperation: &framework.PathOperation{
					Callback:                  t.handleStatus,
					ForwardPerformanceStandby: true,
				},
			},
			HelpSynopsis:    "Status of the running or most recent tidy operation.",
			HelpDescription: "Returns the parameters, state, counts and times of the current or last tidy, with native PKI's keys.",
		},
		{
			Pattern: "tidy-cancel$",
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.UpdateOperation: &framework.PathOperation{
					Callback:                  t.handleCancel,
					ForwardPerformanceStandby: true,
				},
			},
			HelpSynopsis:    "Cancel the running tidy operation.",
			HelpDescription: "Asks the running tidy to stop before its next certificate and returns its status.",
		},
		autoTidyPath(),
	}
}

const tidyHelp = `Removes certificate records (certs/) and revocation markers (revoked/) of certificates that
expired more than safety_buffer ago: tidy_cert_store for all records, tidy_revoked_certs for revoked
ones. The CA keeps its own issuers, CRLs and revocations; operations about those are accepted and
named in a warning. The tidy runs in the background; read tidy-status to follow it.`

// tidyFields is native's tidy schema: same names, types and defaults.
func tidyFields() map[string]*framework.FieldSchema {
	fields := map[string]*framework.FieldSchema{
		"tidy_cert_store":    {Type: framework.TypeBool, Description: "Remove expired certificate records."},
		"tidy_revoked_certs": {Type: framework.TypeBool, Description: "Remove expired revoked certificate records and their revocation markers."},
		"tidy_revocation_list": {
			Type: framework.TypeBool, Description: "Deprecated; synonym for 'tidy_revoked_certs'.",
		},
		"tidy_cert_metadata": {Type: framework.TypeBool, Description: "Vault Enterprise only; refused as native OSS refuses it."},
		"safety_buffer": {
			Type: framework.TypeDurationSecond, Default: int(defaultTidySafetyBuffer / time.Second),
			Description: "How long after expiry a record is kept. Defaults to 72 hours.",
		},
		"issuer_safety_buffer": {
			Type: framework.TypeDurationSecond, Default: int(defaultTidyIssuerSafetyBuffer / time.Second),
			Description: "Accepted for compatibility; issuers are the CA's.",
		},
		"revocation_queue_safety_buffer": {
			Type: framework.TypeDurationSecond, Default: int(defaultTidyQueueSafetyBuffer / time.Second),
			Description: "Accepted for compatibility; there is no revocation queue.",
		},
		"acme_account_safety_buffer": {
			Type: framework.TypeDurationSecond, Default: int(defaultTidyAcmeSafetyBuffer / time.Second),
			Description: "Accepted for compatibility; there are no ACME accounts.",
		},
		"pause_duration": {
			Type: framework.TypeString, Default: "0s",
			Description: "Time to wait between two certificates, to spread the storage load.",
		},
	}
	for _, f := range tidyFlagsNotHeld {
		fields[f.flag] = &framework.FieldSchema{
			Type: framework.TypeBool, Default: false,
			Description: "Accepted for compatibility; this engine holds no " + f.what + ".",
		}
	}
	return fields
}

// parseTidyRequest reads and checks the request as native does, with native's error texts.
func parseTidyRequest(d *framework.FieldData) (*tidyRequest, *logical.Response) {
	r := &tidyRequest{
		CertStore:          d.Get("tidy_cert_store").(bool),
		RevokedCerts:       d.Get("tidy_revoked_certs").(bool) || d.Get("tidy_revocation_list").(bool),
		CertMetadata:       d.Get("tidy_cert_metadata").(bool),
		NotHeld:            map[string]bool{},
		SafetyBuffer:       time.Duration(d.Get("safety_buffer").(int)) * time.Second,
		IssuerSafetyBuffer: time.Duration(d.Get("issuer_safety_buffer").(int)) * time.Second,
		QueueSafetyBuffer:  time.Duration(d.Get("revocation_queue_safety_buffer").(int)) * time.Second,
		AcmeSafetyBuffer:   time.Duration(d.Get("acme_account_safety_buffer").(int)) * time.Second,
	}
	for _, f := range tidyFlagsNotHeld {
		r.NotHeld[f.flag] = d.Get(f.flag).(bool)
	}
	for _, b := range []struct {
		name string
		val  time.Duration
	}{
		{"safety_buffer", r.SafetyBuffer},
		{"issuer_safety_buffer", r.IssuerSafetyBuffer},
		{"revocation_queue_safety_buffer", r.QueueSafetyBuffer},
		{"acme_account_safety_buffer", r.AcmeSafetyBuffer},
	} {
		if b.val < time.Second {
			return nil, logical.ErrorResponse(b.name + " must be greater than zero")
		}
	}
	if s := d.Get("pause_duration").(string); s != "" {
		pause, err := parseutil.ParseDurationSecond(s)
		if err != nil {
			return nil, logical.ErrorResponse(fmt.Sprintf("Error parsing pause_duration: %v", err))
		}
		if pause < 0 {
			return nil, logical.ErrorResponse("received invalid, negative pause_duration")
		}
		r.Pause = pause
	}
	if r.CertMetadata {
		return nil, logical.ErrorResponse(tidyMetadataRefusal)
	}
	return r, nil
}

func (t *tidyRunner) handleTidy(_ context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	params, refusal := parseTidyRequest(d)
	if refusal != nil {
		return refusal, nil
	}
	if !t.start(params, req.Storage) {
		resp := &logical.Response{}
		resp.AddWarning(tidyRunningWarning)
		return resp, nil
	}
	resp := &logical.Response{}
	if params.anyEnabled() {
		resp.AddWarning(tidyStartedWarning)
	} else {
		resp.AddWarning(tidyNoneWarning)
	}
	if ignored := params.ignoredFlags(); len(ignored) > 0 {
		resp.AddWarning(fmt.Sprintf("%sissuers, CRLs, legacy CA bundle, revocation queue, ACME or CMPv2 state (the CA keeps issuers, CRLs and revocations), "+
			"so these tidy operations had nothing to do: %s", tidyNothingHeldIntro, strings.Join(ignored, ", ")))
	}
	// Native answers 202 with the warnings in a JSON body; the request id is empty there too.
	return logical.RespondWithStatusCode(resp, nil, http.StatusAccepted)
}

// start begins a tidy unless one is running; false when one is.
func (t *tidyRunner) start(params *tidyRequest, s logical.Storage) bool {
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
func (t *tidyRunner) run(params *tidyRequest, s logical.Storage, cancel <-chan struct{}) {
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

func (t *tidyRunner) tidy(ctx context.Context, params *tidyRequest, s logical.Storage, cancel <-chan struct{}) error {
	if params.CertStore {
		if err := t.tidyCertStore(ctx, params, s, cancel); err != nil {
			return err
		}
	}
	if cancelled(cancel) {
		return errTidyCancelled
	}
	if params.RevokedCerts {
		return t.tidyRevokedMarkers(ctx, params, s, cancel)
	}
	return nil
}

// tidyCertStore removes every certificate record expired past the buffer, with its revocation
// marker: the marker only indexes the record, and one left alone would list a serial that
// cert/:serial cannot show.
func (t *tidyRunner) tidyCertStore(ctx context.Context, params *tidyRequest, s logical.Storage, cancel <-chan struct{}) error {
	keys, err := s.List(ctx, certStoragePrefix)
	if err != nil {
		return fmt.Errorf("listing certificate records: %w", err)
	}
	for i, key := range keys {
		t.setMessage(fmt.Sprintf("Tidying certificate store: checking entry %d of %d", i, len(keys)))
		if err := pauseOrCancel(params.Pause, cancel); err != nil {
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
func (t *tidyRunner) tidyRevokedMarkers(ctx context.Context, params *tidyRequest, s logical.Storage, cancel <-chan struct{}) error {
	keys, err := s.List(ctx, revokedStoragePrefix)
	if err != nil {
		return fmt.Errorf("listing revoked certificates: %w", err)
	}
	for i, key := range keys {
		t.setMessage(fmt.Sprintf("Tidying revoked certificates: checking certificate %d of %d", i, len(keys)))
		if err := pauseOrCancel(params.Pause, cancel); err != nil {
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

func (t *tidyRunner) handleCancel(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	t.mu.Lock()
	if !t.running {
		t.mu.Unlock()
		resp := &logical.Response{}
		resp.AddWarning(tidyNoCancelWarning)
		return resp, nil
	}
	if t.state == tidyRunning {
		t.state = tidyCancelling
		close(t.cancel)
	}
	t.mu.Unlock()
	return t.handleStatus(ctx, req, d)
}

// handleStatus answers with native's keys and JSON types: every key present, null where native
// has no value (all parameters and counts while nothing has run).
func (t *tidyRunner) handleStatus(context.Context, *logical.Request, *framework.FieldData) (*logical.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data := map[string]interface{}{
		"state":                   string(tidyInactive),
		"last_auto_tidy_finished": t.lastRun,
		"internal_backend_uuid":   t.backendID,
	}
	for _, k := range tidyStatusKeys {
		data[k] = nil
	}
	if t.state == tidyInactive {
		return &logical.Response{Data: data}, nil
	}
	p := t.params
	data["safety_buffer"] = int(p.SafetyBuffer / time.Second)
	data["issuer_safety_buffer"] = int(p.IssuerSafetyBuffer / time.Second)
	data["revocation_queue_safety_buffer"] = int(p.QueueSafetyBuffer / time.Second)
	data["acme_account_safety_buffer"] = int(p.AcmeSafetyBuffer / time.Second)
	data["tidy_cert_store"] = p.CertStore
	data["tidy_revoked_certs"] = p.RevokedCerts
	data["tidy_cert_metadata"] = p.CertMetadata
	for _, f := range tidyFlagsNotHeld {
		data[f.flag] = p.NotHeld[f.flag]
	}
	data["pause_duration"] = p.Pause.String()
	data["time_started"] = t.started
	data["message"] = t.message
	data["cert_store_deleted_count"] = t.certsDeleted
	data["revoked_cert_deleted_count"] = t.revokedDeleted
	// Counts of things this engine does not hold: always zero, as native reports them.
	for _, k := range []string{"missing_issuer_cert_count", "revocation_queue_deleted_count", "cross_revoked_cert_deleted_count",
		"total_acme_account_count", "acme_account_deleted_count", "acme_account_revoked_count", "acme_orders_deleted_count",
		"cert_metadata_deleted_count", "cmpv2_nonce_deleted_count"} {
		data[k] = uint(0)
	}
	data["state"] = string(t.state)
	switch t.state {
	case tidyFinished:
		data["time_finished"] = t.finished
		data["message"] = nil
	case tidyError:
		data["time_finished"] = t.finished
		if t.err != nil {
			data["error"] = t.err.Error()
		}
	case tidyCancelled:
		data["time_finished"] = t.finished
	}
	return &logical.Response{Data: data}, nil
}

// tidyStatusKeys are the keys native's tidy-status always answers (null until a tidy ran),
// besides state, last_auto_tidy_finished and internal_backend_uuid. revocation_queue_safety_buffer
// is not among them: native adds it only once a tidy ran.
var tidyStatusKeys = []string{
	"safety_buffer", "issuer_safety_buffer", "tidy_cert_store", "tidy_revoked_certs",
	"tidy_revoked_cert_issuer_associations", "tidy_expired_issuers", "tidy_move_legacy_ca_bundle",
	"tidy_revocation_queue", "tidy_cross_cluster_revoked_certs", "tidy_acme", "tidy_cert_metadata",
	"tidy_cmpv2_nonce_store", "pause_duration", "error", "time_started", "time_finished", "message",
	"cert_store_deleted_count", "revoked_cert_deleted_count", "missing_issuer_cert_count",
	"current_cert_store_count", "current_revoked_cert_count", "revocation_queue_deleted_count",
	"cross_revoked_cert_deleted_count", "total_acme_account_count", "acme_account_deleted_count",
	"acme_account_revoked_count", "acme_orders_deleted_count", "acme_account_safety_buffer",
	"cert_metadata_deleted_count", "cmpv2_nonce_deleted_count",
}

// autoTidyConfig is native's auto-tidy configuration, with native's storage field names.
type autoTidyConfig struct {
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
}

func defaultAutoTidyConfig() *autoTidyConfig {
	return &autoTidyConfig{
		Interval:           12 * time.Hour,
		MinStartupBackoff:  5 * time.Minute,
		MaxStartupBackoff:  15 * time.Minute,
		SafetyBuffer:       defaultTidySafetyBuffer,
		IssuerSafetyBuffer: defaultTidyIssuerSafetyBuffer,
		QueueSafetyBuffer:  defaultTidyQueueSafetyBuffer,
		AcmeSafetyBuffer:   defaultTidyAcmeSafetyBuffer,
	}
}

func (c *autoTidyConfig) anyEnabled() bool {
	return c.CertStore || c.RevokedCerts || c.IssuerAssocs || c.ExpiredIssuers || c.BackupBundle || c.RevocationQueue ||
		c.CrossRevokedCerts || c.Acme || c.CertMetadata || c.CMPV2NonceStore
}

// data is native's answer (getTidyConfigData): durations in seconds, pause as a Go duration.
func (c *autoTidyConfig) data() map[string]interface{} {
	return map[string]interface{}{
		"enabled":                                  c.Enabled,
		"interval_duration":                        int(c.Interval / time.Second),
		"min_startup_backoff_duration":             int(c.MinStartupBackoff / time.Second),
		"max_startup_backoff_duration":             int(c.MaxStartupBackoff / time.Second),
		"tidy_cert_store":                          c.CertStore,
		"tidy_revoked_certs":                       c.RevokedCerts,
		"tidy_revoked_cert_issuer_associations":    c.IssuerAssocs,
		"tidy_expired_issuers":                     c.ExpiredIssuers,
		"tidy_move_legacy_ca_bundle":               c.BackupBundle,
		"tidy_acme":                                c.Acme,
		"safety_buffer":                            int(c.SafetyBuffer / time.Second),
		"issuer_safety_buffer":                     int(c.IssuerSafetyBuffer / time.Second),
		"acme_account_safety_buffer":               int(c.AcmeSafetyBuffer / time.Second),
		"pause_duration":                           c.PauseDuration.String(),
		"publish_stored_certificate_count_metrics": c.PublishMetrics,
		"maintain_stored_certificate_counts":       c.MaintainCount,
		"tidy_revocation_queue":                    c.RevocationQueue,
		"revocation_queue_safety_buffer":           int(c.QueueSafetyBuffer / time.Second),
		"tidy_cross_cluster_revoked_certs":         c.CrossRevokedCerts,
		"tidy_cert_metadata":                       c.CertMetadata,
		"tidy_cmpv2_nonce_store":                   c.CMPV2NonceStore,
	}
}

func autoTidyPath() *framework.Path {
	fields := tidyFields()
	fields["enabled"] = &framework.FieldSchema{Type: framework.TypeBool, Description: "Set to true to enable automatic tidy operations."}
	fields["interval_duration"] = &framework.FieldSchema{
		Type: framework.TypeDurationSecond, Default: int(12 * time.Hour / time.Second),
		Description: "Time between two automatic tidies.",
	}
	fields["min_startup_backoff_duration"] = &framework.FieldSchema{
		Type: framework.TypeDurationSecond, Default: int(5 * time.Minute / time.Second),
		Description: "Minimum delay of the first automatic tidy after startup.",
	}
	fields["max_startup_backoff_duration"] = &framework.FieldSchema{
		Type: framework.TypeDurationSecond, Default: int(15 * time.Minute / time.Second),
		Description: "Maximum delay of the first automatic tidy after startup.",
	}
	fields["maintain_stored_certificate_counts"] = &framework.FieldSchema{
		Type: framework.TypeBool, Default: false, Description: "Accepted for compatibility; no running count is kept.",
	}
	fields["publish_stored_certificate_count_metrics"] = &framework.FieldSchema{
		Type: framework.TypeBool, Default: false, Description: "Accepted for compatibility; no count metric is published.",
	}
	return &framework.Path{
		Pattern: "config/auto-tidy",
		Fields:  fields,
		Operations: map[logical.Operation]framework.OperationHandler{
			logical.ReadOperation: &framework.PathOperation{Callback: readAutoTidy},
			logical.UpdateOperation: &framework.PathOperation{
				Callback:                    writeAutoTidy,
				ForwardPerformanceStandby:   true,
				ForwardPerformanceSecondary: true,
			},
		},
		HelpSynopsis:    "Native PKI's automatic tidy configuration, stored and answered.",
		HelpDescription: "Takes tidy's parameters plus enabled and interval_duration. This engine stores them but does not yet run tidy on a schedule; an enabled configuration is answered with a warning saying so.",
	}
}

func loadAutoTidyConfig(ctx context.Context, s logical.Storage) (*autoTidyConfig, error) {
	conf := defaultAutoTidyConfig()
	if _, err := getJSONInto(ctx, s, autoTidyStorageKey, "the auto-tidy configuration", conf); err != nil {
		return nil, err
	}
	return conf, nil
}

func readAutoTidy(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	conf, err := loadAutoTidyConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: conf.data()}, nil
}

// writeAutoTidy changes only the fields the request names, with native's checks and texts.
func writeAutoTidy(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	conf, err := loadAutoTidyConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	if raw, ok := d.GetOk("enabled"); ok {
		conf.Enabled = raw.(bool)
	}
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{
		{"min_startup_backoff_duration", &conf.MinStartupBackoff},
		{"max_startup_backoff_duration", &conf.MaxStartupBackoff},
	} {
		if raw, ok := d.GetOk(f.name); ok {
			v := time.Duration(raw.(int)) * time.Second
			if v < time.Second {
				return logical.ErrorResponse(fmt.Sprintf("%s must be at least 1 second: parsed: %v", f.name, v)), nil
			}
			*f.dst = v
		}
	}
	if conf.MinStartupBackoff > conf.MaxStartupBackoff {
		return logical.ErrorResponse(fmt.Sprintf("max_startup_backoff_duration %v must be greater or equal to min_startup_backoff_duration %v",
			conf.MaxStartupBackoff, conf.MinStartupBackoff)), nil
	}
	if raw, ok := d.GetOk("interval_duration"); ok {
		conf.Interval = time.Duration(raw.(int)) * time.Second
		if conf.Interval < 0 {
			return logical.ErrorResponse(fmt.Sprintf("given interval_duration must be greater than or equal to zero seconds; got: %v", raw)), nil
		}
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{
		{"tidy_cert_store", &conf.CertStore},
		{"tidy_revoked_certs", &conf.RevokedCerts},
		{"tidy_revoked_cert_issuer_associations", &conf.IssuerAssocs},
		{"tidy_expired_issuers", &conf.ExpiredIssuers},
		{"tidy_move_legacy_ca_bundle", &conf.BackupBundle},
		{"tidy_revocation_queue", &conf.RevocationQueue},
		{"tidy_cross_cluster_revoked_certs", &conf.CrossRevokedCerts},
		{"tidy_acme", &conf.Acme},
		{"tidy_cert_metadata", &conf.CertMetadata},
		{"tidy_cmpv2_nonce_store", &conf.CMPV2NonceStore},
		{"maintain_stored_certificate_counts", &conf.MaintainCount},
		{"publish_stored_certificate_count_metrics", &conf.PublishMetrics},
	} {
		if raw, ok := d.GetOk(f.name); ok {
			*f.dst = raw.(bool)
		}
	}
	for _, f := range []struct {
		name, label string
		dst         *time.Duration
	}{
		// Native names safety_buffer in the issuer_safety_buffer error too; kept word for word.
		{"safety_buffer", "safety_buffer", &conf.SafetyBuffer},
		{"issuer_safety_buffer", "safety_buffer", &conf.IssuerSafetyBuffer},
		{"revocation_queue_safety_buffer", "revocation_queue_safety_buffer", &conf.QueueSafetyBuffer},
		{"acme_account_safety_buffer", "acme_account_safety_buffer", &conf.AcmeSafetyBuffer},
	} {
		if raw, ok := d.GetOk(f.name); ok {
			*f.dst = time.Duration(raw.(int)) * time.Second
			if *f.dst < time.Second {
				return logical.ErrorResponse(fmt.Sprintf("given %s must be at least one second; got: %v", f.label, raw)), nil
			}
		}
	}
	if raw, ok := d.GetOk("pause_duration"); ok {
		pause, err := parseutil.ParseDurationSecond(raw.(string))
		if err != nil {
			return logical.ErrorResponse(fmt.Sprintf("unable to parse given pause_duration: %v", err)), nil
		}
		if pause < 0 {
			return logical.ErrorResponse("received invalid, negative pause_duration"), nil
		}
		conf.PauseDuration = pause
	}
	if conf.CertMetadata {
		return logical.ErrorResponse(tidyMetadataRefusal), nil
	}
	if conf.CMPV2NonceStore {
		return logical.ErrorResponse("CMPv2 is only supported on Vault Enterprise"), nil
	}
	if conf.Enabled && !conf.anyEnabled() {
		return logical.ErrorResponse("Auto-tidy enabled but no tidy operations were requested. Enable at least one tidy operation to be run (" +
			tidyOperationList + ")."), nil
	}
	if conf.PublishMetrics && !conf.MaintainCount {
		return logical.ErrorResponse("Can not publish a running storage metrics count to metrics without first maintaining that count.  Enable `maintain_stored_certificate_counts` to enable `publish_stored_certificate_count_metrics`."), nil
	}
	if err := putJSON(ctx, req.Storage, autoTidyStorageKey, "the auto-tidy configuration", conf); err != nil {
		return nil, err
	}
	return &logical.Response{Data: conf.data()}, nil
}

// request is the tidy an enabled auto-tidy configuration asks for.
func (c *autoTidyConfig) request() *tidyRequest {
	return &tidyRequest{
		CertStore:    c.CertStore,
		RevokedCerts: c.RevokedCerts,
		CertMetadata: c.CertMetadata,
		NotHeld: map[string]bool{
			"tidy_revoked_cert_issuer_associations": c.IssuerAssocs,
			"tidy_expired_issuers":                  c.ExpiredIssuers,
			"tidy_move_legacy_ca_bundle":            c.BackupBundle,
			"tidy_revocation_queue":                 c.RevocationQueue,
			"tidy_cross_cluster_revoked_certs":      c.CrossRevokedCerts,
			"tidy_acme":                             c.Acme,
			"tidy_cmpv2_nonce_store":                c.CMPV2NonceStore,
		},
		SafetyBuffer:       c.SafetyBuffer,
		IssuerSafetyBuffer: c.IssuerSafetyBuffer,
		QueueSafetyBuffer:  c.QueueSafetyBuffer,
		AcmeSafetyBuffer:   c.AcmeSafetyBuffer,
		Pause:              c.PauseDuration,
	}
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
		t.start(conf.request(), s)
	}
	return nil
}
