package pkicompat

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/go-secure-stdlib/parseutil"
	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// config/urls and config/crl exist so Terraform's vault_pki_secret_backend_config_urls and
// vault_pki_secret_backend_crl_config, and scripts written for native PKI, keep working after pki/
// is swapped for this engine. Values are validated, stored and answered exactly as native does,
// but none of them changes what the CA issues or publishes: the CA writes its own
// AIA, CRL distribution point and OCSP URLs into certificates and runs its own CRL schedule. Every
// write that sets a field says so in a warning, so nothing is silently half-applied.

// caConfigWriteMu makes each config/urls and config/crl write's read-modify-write atomic, so two
// writes that set different fields cannot lose one another's (native does not guard this). It is
// process-wide because the backend struct is shared contract; config writes are rare enough that
// serialising them across mounts costs nothing.
var caConfigWriteMu sync.Mutex

// urlsUnusedWarningFormat names the config/urls fields a write set: %[1]s is the comma-separated
// list, %[2]s the CA's display name (Provider.DisplayName).
const urlsUnusedWarningFormat = "config/urls stores but does not apply these fields: %[1]s " +
	"(%[2]s's CA writes its own authority information access, CRL distribution point " +
	"and OCSP URLs into the certificates it issues)"

// crlUnusedWarningFormat names the config/crl fields a write set: %[1]s is the comma-separated
// list, %[2]s the CA's display name.
const crlUnusedWarningFormat = "config/crl stores but does not apply these fields: %[1]s " +
	"(%[2]s's CA decides whether and how its CRL is published: lifetime, rebuilds, " +
	"delta CRLs and size; this engine runs no OCSP responder)"

// Refusals where native PKI's reason ("only on Vault Enterprise") would not be true of this engine
// on any edition: the CA keeps one revocation list for every cluster, so there is nothing to
// unify. %s is the CA's display name.
const (
	errCrossClusterRevocationFormat = "Global, cross-cluster revocation queue (cross_cluster_revocation) cannot be " +
		"enabled on this engine: %s keeps one revocation list for all clusters."
	errUnifiedCRLFormat = "unified_crl cannot be enabled on this engine: %s publishes one CRL for all clusters"
)

// aiaURLs is native's config/urls entry.
type aiaURLs struct {
	IssuingCertificates        []string `json:"issuing_certificates"`
	CRLDistributionPoints      []string `json:"crl_distribution_points"`
	DeltaCRLDistributionPoints []string `json:"delta_crl_distribution_points"`
	OCSPServers                []string `json:"ocsp_servers"`
	EnableTemplating           bool     `json:"enable_templating"`
}

// urlListFields are the URL-list fields of config/urls in native's order: validation stops at
// the first bad one in this order, and warnings list the fields in it.
var urlListFields = []string{"issuing_certificates", "crl_distribution_points", "delta_crl_distribution_points", "ocsp_servers"}

func (u *aiaURLs) list(field string) *[]string {
	switch field {
	case "issuing_certificates":
		return &u.IssuingCertificates
	case "crl_distribution_points":
		return &u.CRLDistributionPoints
	case "delta_crl_distribution_points":
		return &u.DeltaCRLDistributionPoints
	case "ocsp_servers":
		return &u.OCSPServers
	}
	return nil
}

func (u *aiaURLs) responseData() map[string]interface{} {
	return map[string]interface{}{
		"issuing_certificates":          u.IssuingCertificates,
		"crl_distribution_points":       u.CRLDistributionPoints,
		"delta_crl_distribution_points": u.DeltaCRLDistributionPoints,
		"ocsp_servers":                  u.OCSPServers,
		"enable_templating":             u.EnableTemplating,
	}
}

// crlConfig is native's config/crl entry, version field included, so the migrations native runs
// on read (and their visible effects) are the same here.
type crlConfig struct {
	Version                   int    `json:"version"`
	Expiry                    string `json:"expiry"`
	Disable                   bool   `json:"disable"`
	OcspDisable               bool   `json:"ocsp_disable"`
	AutoRebuild               bool   `json:"auto_rebuild"`
	AutoRebuildGracePeriod    string `json:"auto_rebuild_grace_period"`
	OcspExpiry                string `json:"ocsp_expiry"`
	EnableDelta               bool   `json:"enable_delta"`
	DeltaRebuildInterval      string `json:"delta_rebuild_interval"`
	UseGlobalQueue            bool   `json:"cross_cluster_revocation"`
	UnifiedCRL                bool   `json:"unified_crl"`
	UnifiedCRLOnExistingPaths bool   `json:"unified_crl_on_existing_paths"`
	MaxCRLEntries             int    `json:"max_crl_entries"`
}

// defaultCRLConfig is what native answers before config/crl is written. Its version is 1, as
// native's: a first write stores version 1 and the next read migrates it.
var defaultCRLConfig = crlConfig{
	Version:                1,
	Expiry:                 "72h",
	OcspExpiry:             "12h",
	AutoRebuildGracePeriod: "12h",
	DeltaRebuildInterval:   "15m",
	MaxCRLEntries:          100000,
}

func (c *crlConfig) responseData() map[string]interface{} {
	maxEntries := c.MaxCRLEntries
	if maxEntries == 0 {
		maxEntries = defaultCRLConfig.MaxCRLEntries
	}
	return map[string]interface{}{
		"expiry":                        c.Expiry,
		"disable":                       c.Disable,
		"ocsp_disable":                  c.OcspDisable,
		"ocsp_expiry":                   c.OcspExpiry,
		"auto_rebuild":                  c.AutoRebuild,
		"auto_rebuild_grace_period":     c.AutoRebuildGracePeriod,
		"enable_delta":                  c.EnableDelta,
		"delta_rebuild_interval":        c.DeltaRebuildInterval,
		"cross_cluster_revocation":      c.UseGlobalQueue,
		"unified_crl":                   c.UnifiedCRL,
		"unified_crl_on_existing_paths": c.UnifiedCRLOnExistingPaths,
		"max_crl_entries":               maxEntries,
	}
}

// urlsFieldOrder is config/urls' fields in the order warnings list them.
var urlsFieldOrder = append(append([]string(nil), urlListFields...), "enable_templating")

// fieldsSet returns the fields of order the request gave a value, in that order: the ones a
// "stores but does not apply" warning names.
func fieldsSet(d *framework.FieldData, order []string) []string {
	var set []string
	for _, field := range order {
		if _, ok := d.GetOk(field); ok {
			set = append(set, field)
		}
	}
	return set
}

// crlFieldOrder is config/crl's fields in the order warnings list them.
var crlFieldOrder = []string{
	"expiry", "disable", "ocsp_disable", "ocsp_expiry", "auto_rebuild", "auto_rebuild_grace_period",
	"enable_delta", "delta_rebuild_interval", "cross_cluster_revocation", "unified_crl",
	"unified_crl_on_existing_paths", "max_crl_entries",
}

func (b *backend) caConfigPaths() []*framework.Path {
	return []*framework.Path{b.configURLsPath(), b.configCRLPath()}
}

func (b *backend) configURLsPath() *framework.Path {
	caName := b.provider.DisplayName()
	urlList := func(what string) *framework.FieldSchema {
		return &framework.FieldSchema{
			Type: framework.TypeCommaStringSlice,
			Description: "Comma-separated URLs for the " + what + ", stored as native PKI stores them. " +
				"Not applied: " + caName + "'s CA sets this extension in the certificates it issues.",
		}
	}
	return &framework.Path{
		Pattern: "config/urls",
		Fields: map[string]*framework.FieldSchema{
			"issuing_certificates":          urlList("issuing certificate (AIA caIssuers) attribute"),
			"crl_distribution_points":       urlList("CRL distribution points attribute"),
			"delta_crl_distribution_points": urlList("delta CRL distribution points attribute"),
			"ocsp_servers":                  urlList("OCSP servers (AIA OCSP) attribute"),
			"enable_templating": {
				Type: framework.TypeBool,
				Description: "Whether the URLs may hold native's templates ({{issuer_id}}, {{cluster_path}}, " +
					"{{cluster_aia_path}}); when true they are stored without URL checks. Not applied.",
				Default: false,
			},
		},
		DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki"},
		Operations: map[logical.Operation]framework.OperationHandler{
			logical.ReadOperation: &framework.PathOperation{
				Callback:     b.pathConfigURLsRead,
				DisplayAttrs: &framework.DisplayAttributes{OperationSuffix: "urls-configuration"},
				Responses:    nativeOK("pki-read-urls-configuration"),
			},
			logical.UpdateOperation: &framework.PathOperation{
				Callback:     b.pathConfigURLsWrite,
				DisplayAttrs: &framework.DisplayAttributes{OperationVerb: "configure", OperationSuffix: "urls"},
				Responses:    nativeOK("pki-configure-urls"),
			},
		},
		HelpSynopsis: "Native PKI's AIA URL settings, stored for compatibility; " + caName + " decides the URLs in certificates.",
		HelpDescription: "Accepts, validates, stores and returns issuing_certificates, crl_distribution_points, " +
			"delta_crl_distribution_points, ocsp_servers and enable_templating exactly as native PKI does. " +
			"They do not change the certificates " + caName + " issues; each write that sets one says so in a warning.",
	}
}

func (b *backend) configCRLPath() *framework.Path {
	caName := b.provider.DisplayName()
	notApplied := " Stored as native PKI stores it; not applied: " + caName + "'s CA decides."
	return &framework.Path{
		Pattern: "config/crl",
		Fields: map[string]*framework.FieldSchema{
			"expiry": {
				Type: framework.TypeString, Default: defaultCRLConfig.Expiry,
				Description: "How long a generated CRL is valid." + notApplied,
			},
			"disable": {
				Type:        framework.TypeBool,
				Description: "Whether CRL generation is disabled." + notApplied,
			},
			"ocsp_disable": {
				Type:        framework.TypeBool,
				Description: "Whether OCSP answers unauthorized. Stored only: this engine runs no OCSP responder.",
			},
			"ocsp_expiry": {
				Type: framework.TypeString, Default: defaultCRLConfig.OcspExpiry,
				Description: "How long an OCSP response is valid. Stored only: this engine runs no OCSP responder.",
			},
			"auto_rebuild": {
				Type:        framework.TypeBool,
				Description: "Whether the CRL is rebuilt automatically before it expires." + notApplied,
			},
			"auto_rebuild_grace_period": {
				Type: framework.TypeString, Default: defaultCRLConfig.AutoRebuildGracePeriod,
				Description: "How long before expiry the CRL is rebuilt; shorter than expiry." + notApplied,
			},
			"enable_delta": {
				Type:        framework.TypeBool,
				Description: "Whether delta CRLs are built between full rebuilds." + notApplied,
			},
			"delta_rebuild_interval": {
				Type: framework.TypeString, Default: defaultCRLConfig.DeltaRebuildInterval,
				Description: "Time between delta CRL rebuilds; shorter than expiry." + notApplied,
			},
			"cross_cluster_revocation": {
				Type:        framework.TypeBool,
				Description: "Cross-cluster revocation queue. Cannot be enabled: " + caName + " keeps one revocation list.",
			},
			"unified_crl": {
				Type:        framework.TypeBool,
				Description: "Unified CRL across clusters. Cannot be enabled: " + caName + " publishes one CRL.",
			},
			"unified_crl_on_existing_paths": {
				Type:        framework.TypeBool,
				Description: "Serve the unified CRL on the usual paths. Needs unified_crl, which cannot be enabled.",
			},
			"max_crl_entries": {
				Type: framework.TypeInt, Default: defaultCRLConfig.MaxCRLEntries,
				Description: "Maximum entries of a CRL; -1 for no limit; 0 or below -1 leaves it unchanged." + notApplied,
			},
		},
		DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki"},
		Operations: map[logical.Operation]framework.OperationHandler{
			logical.ReadOperation: &framework.PathOperation{
				Callback:     b.pathConfigCRLRead,
				DisplayAttrs: &framework.DisplayAttributes{OperationSuffix: "crl-configuration"},
				Responses:    nativeOK("pki-read-crl-configuration"),
			},
			logical.UpdateOperation: &framework.PathOperation{
				Callback:     b.pathConfigCRLWrite,
				DisplayAttrs: &framework.DisplayAttributes{OperationVerb: "configure", OperationSuffix: "crl"},
				Responses:    nativeOK("pki-configure-crl"),
				// Storage writes must happen on the active node of the primary, as native's do.
				ForwardPerformanceStandby:   true,
				ForwardPerformanceSecondary: true,
			},
		},
		HelpSynopsis: "Native PKI's CRL settings, stored for compatibility; " + caName + " decides how its CRL is published.",
		HelpDescription: "Accepts, validates, stores and returns native PKI's CRL settings exactly as native does " +
			"(Vault's OSS edition: cross_cluster_revocation and unified_crl cannot be enabled). They do not change " +
			"the CRL " + caName + " publishes; each write that sets one says so in a warning.",
	}
}

func loadAIAURLs(ctx context.Context, s logical.Storage) (*aiaURLs, error) {
	// Empty lists, not nil, when unset: native answers [] for every list before any write.
	u := &aiaURLs{IssuingCertificates: []string{}, CRLDistributionPoints: []string{}, DeltaCRLDistributionPoints: []string{}, OCSPServers: []string{}}
	if _, err := getJSONInto(ctx, s, urlsStorageKey, "config/urls", u); err != nil {
		return nil, err
	}
	return u, nil
}

func (b *backend) pathConfigURLsRead(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	u, err := loadAIAURLs(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: u.responseData()}, nil
}

func (b *backend) pathConfigURLsWrite(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	caConfigWriteMu.Lock()
	defer caConfigWriteMu.Unlock()
	u, err := loadAIAURLs(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	for _, field := range urlListFields {
		if v, ok := d.GetOk(field); ok {
			*u.list(field) = v.([]string)
		}
	}
	if v, ok := d.GetOk("enable_templating"); ok {
		u.EnableTemplating = v.(bool)
	}

	// With templating on, native stores the URLs unchecked (they are checked when a certificate is
	// issued); here they never reach a certificate, so nothing checks them later either.
	if !u.EnableTemplating {
		for _, field := range urlListFields {
			if bad, ok := firstInvalidURL(*u.list(field)); ok {
				return logical.ErrorResponse(fmt.Sprintf("invalid URL found in Authority Information Access (AIA) parameter %s: %s", field, bad)), nil
			}
		}
	}

	if err := putJSON(ctx, req.Storage, urlsStorageKey, "config/urls", u); err != nil {
		return nil, err
	}

	resp := &logical.Response{Data: u.responseData()}
	if len(u.DeltaCRLDistributionPoints) > 0 && len(u.CRLDistributionPoints) == 0 {
		// Native's advice, word for word: the stored configuration is inconsistent either way.
		resp.AddWarning(fmt.Sprintf("delta_crl_distribution_points were set: %s but not crl_distribution_points, consider setting crl_distribution_points",
			strings.Join(u.DeltaCRLDistributionPoints, ", ")))
	}
	if set := fieldsSet(d, urlsFieldOrder); len(set) > 0 {
		resp.AddWarning(fmt.Sprintf(urlsUnusedWarningFormat, strings.Join(set, ", "), b.provider.DisplayName()))
	}
	return resp, nil
}

// firstInvalidURL returns the first entry native PKI would refuse as an AIA URL when templating is
// off: one that is not a URL by native's test, or that still holds a template.
func firstInvalidURL(urls []string) (string, bool) {
	for _, u := range urls {
		if !isAIAURL(u) || strings.Contains(u, "{{issuer_id}}") || strings.Contains(u, "{{cluster_path}}") || strings.Contains(u, "{{cluster_aia_path}}") {
			return u, true
		}
	}
	return "", false
}

// isAIAURL is native PKI's URL test for AIA fields: 4 to 2082 characters, not starting with a dot,
// parseable as a request URI (host:port without a scheme counts as http), and with either a host
// not starting with a dot or a path that looks like a host name.
func isAIAURL(s string) bool {
	if s == "" || len(s) <= 3 || utf8.RuneCountInString(s) >= 2083 || strings.HasPrefix(s, ".") {
		return false
	}
	candidate := s
	if strings.Contains(s, ":") && !strings.Contains(s, "://") {
		// Not building a URL: this is how the parser reads "host:port/path" when a scheme is
		// assumed, which is what native's test does.
		candidate = "http://" + s
	}
	u, err := url.ParseRequestURI(candidate)
	if err != nil {
		return false
	}
	if strings.HasPrefix(u.Host, ".") {
		return false
	}
	if u.Host == "" && u.Path != "" && !strings.Contains(u.Path, ".") {
		return false
	}
	return true
}

// loadCRLConfig reads config/crl with native's read-time migrations and normalisations.
func loadCRLConfig(ctx context.Context, s logical.Storage) (*crlConfig, error) {
	stored, err := getJSON[crlConfig](ctx, s, crlConfigStorageKey, "config/crl")
	if err != nil {
		return nil, err
	}
	c := defaultCRLConfig
	if stored == nil {
		return &c, nil
	}
	c = *stored
	if c.Version == 0 {
		c.OcspDisable = defaultCRLConfig.OcspDisable
		c.OcspExpiry = defaultCRLConfig.OcspExpiry
		c.AutoRebuild = defaultCRLConfig.AutoRebuild
		c.AutoRebuildGracePeriod = defaultCRLConfig.AutoRebuildGracePeriod
		c.Version = 1
	}
	if c.Version == 1 {
		if c.DeltaRebuildInterval == "" {
			c.DeltaRebuildInterval = defaultCRLConfig.DeltaRebuildInterval
		}
		c.Version = 2
	}
	if c.Expiry == "" {
		c.Expiry = defaultCRLConfig.Expiry
	}
	// Never true here (writes refuse them); native clears them the same way when it finds them
	// set where it cannot serve them.
	c.UnifiedCRL, c.UnifiedCRLOnExistingPaths, c.UseGlobalQueue = false, false, false
	return &c, nil
}

func (b *backend) pathConfigCRLRead(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	c, err := loadCRLConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: c.responseData()}, nil
}

func (b *backend) pathConfigCRLWrite(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	caConfigWriteMu.Lock()
	defer caConfigWriteMu.Unlock()
	c, err := loadCRLConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	if err := applyCRLFields(c, d); err != nil {
		return respond(err)
	}
	if err := checkCRLConfig(c, b.provider.DisplayName()); err != nil {
		return respond(err)
	}

	if err := putJSON(ctx, req.Storage, crlConfigStorageKey, "config/crl", c); err != nil {
		return nil, err
	}

	// The write answers the configuration as stored (an empty expiry stays empty here and reads
	// back as the default), as native's does.
	resp := &logical.Response{Data: c.responseData()}
	if set := fieldsSet(d, crlFieldOrder); len(set) > 0 {
		resp.AddWarning(fmt.Sprintf(crlUnusedWarningFormat, strings.Join(set, ", "), b.provider.DisplayName()))
	}
	return resp, nil
}

// applyCRLFields copies the request's fields into c in native's order, checking each duration as
// native does; it returns native's error for the first bad value.
func applyCRLFields(c *crlConfig, d *framework.FieldData) error {
	durations := []struct {
		field string
		dest  *string
		// nonNegative refuses negative values (only ocsp_expiry, as native).
		nonNegative bool
	}{
		{"expiry", &c.Expiry, false},
		{"ocsp_expiry", &c.OcspExpiry, true},
		{"auto_rebuild_grace_period", &c.AutoRebuildGracePeriod, false},
		{"delta_rebuild_interval", &c.DeltaRebuildInterval, false},
	}
	for _, dur := range durations {
		raw, ok := d.GetOk(dur.field)
		if !ok {
			continue
		}
		text := raw.(string)
		parsed, err := parseutil.ParseDurationSecond(text)
		if err != nil {
			return Invalid("given %s could not be decoded: %s", dur.field, err)
		}
		if dur.nonNegative && parsed < 0 {
			return Invalid("%s must be greater than or equal to 0 got: %s", dur.field, parsed)
		}
		*dur.dest = text
	}

	flags := []struct {
		field string
		dest  *bool
	}{
		{"disable", &c.Disable},
		{"ocsp_disable", &c.OcspDisable},
		{"auto_rebuild", &c.AutoRebuild},
		{"enable_delta", &c.EnableDelta},
		{"cross_cluster_revocation", &c.UseGlobalQueue},
		{"unified_crl", &c.UnifiedCRL},
		{"unified_crl_on_existing_paths", &c.UnifiedCRLOnExistingPaths},
	}
	for _, f := range flags {
		if v, ok := d.GetOk(f.field); ok {
			*f.dest = v.(bool)
		}
	}

	// Native ignores 0 and values below -1 without a word; so does this engine.
	if v, ok := d.GetOk("max_crl_entries"); ok {
		if n := v.(int); n == -1 || n > 0 {
			c.MaxCRLEntries = n
		}
	}
	return nil
}

// checkCRLConfig applies native's consistency rules to the merged configuration, in native's
// order, and returns the first refusal. caName is the CA's display name.
func checkCRLConfig(c *crlConfig, caName string) error {
	if c.UnifiedCRLOnExistingPaths && !c.UnifiedCRL {
		return Invalid("unified_crl_on_existing_paths cannot be enabled if unified_crl is disabled")
	}
	// Every stored duration was checked when it was written; a value that no longer parses
	// counts as zero, as in native.
	expiry, _ := parseutil.ParseDurationSecond(c.Expiry)
	if c.AutoRebuild {
		if grace, _ := parseutil.ParseDurationSecond(c.AutoRebuildGracePeriod); grace >= expiry {
			return Invalid("CRL auto-rebuilding grace period (%v) must be strictly shorter than CRL expiry (%v) value when auto-rebuilding of CRLs is enabled",
				c.AutoRebuildGracePeriod, c.Expiry)
		}
	}
	if c.EnableDelta {
		if interval, _ := parseutil.ParseDurationSecond(c.DeltaRebuildInterval); interval >= expiry {
			return Invalid("CRL delta rebuild window (%v) must be strictly shorter than CRL expiry (%v) value when delta CRLs are enabled",
				c.DeltaRebuildInterval, c.Expiry)
		}
	}
	if !c.AutoRebuild {
		if c.EnableDelta {
			return Invalid("Delta CRLs cannot be enabled when auto rebuilding is disabled as the complete CRL is always regenerated!")
		}
		if c.UseGlobalQueue {
			return Invalid("Global, cross-cluster revocation queue cannot be enabled when auto rebuilding is disabled as the local cluster may not have the certificate entry!")
		}
	}
	if c.UseGlobalQueue {
		return Invalid(errCrossClusterRevocationFormat, caName)
	}
	if c.UnifiedCRL {
		return Invalid(errUnifiedCRLFormat, caName)
	}
	return nil
}
