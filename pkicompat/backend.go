// Package pkicompat is a Vault secrets engine that answers like Vault's built-in PKI engine while
// a Driver does the CA's work. It owns Vault storage (config, roles, certificate records,
// revocations), role policy, key generation and response shapes; it knows nothing of any
// particular CA.
package pkicompat

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

const backendHelp = `
This backend issues certificates the way Vault's PKI engine does, but every certificate is
signed by an external CA through its driver. Configure the CA connection at "config", define
roles at "roles/<name>", then issue at "issue/<role>" or sign a CSR at "sign/<role>".
`

// Factory returns a logical.Factory serving this engine with drivers built by provider.
func Factory(provider Provider) logical.Factory {
	return func(ctx context.Context, conf *logical.BackendConfig) (logical.Backend, error) {
		b := newBackend(provider)
		b.shapeLikeRunningVault(ctx, conf.System)
		if err := b.Setup(ctx, conf); err != nil {
			return nil, err
		}
		return b, nil
	}
}

type backend struct {
	*framework.Backend
	provider Provider

	// driverMu guards driver. Requests take the current driver under the read lock and use it
	// without holding the lock, so replacing the configuration never waits for (or breaks)
	// requests already in flight on the old driver.
	driverMu sync.RWMutex
	driver   Driver

	revocationSync revocationSyncer
	tidy           *tidyRunner

	// Per-request lookups kept in memory (leasettl.go, issuercache.go, rolecache.go).
	leaseTTLs     mountLeaseTTLs
	storedIssuers storedIssuers
	storedRoles   storedRoles
	certIndex     certIndex    // LIST certs/ (certindex.go)
	heldRequests  heldRequests // whether any request is held for approval (pending.go)

	settles backgroundSettles // intent removals after the reply (intentsettle.go)

	// answersAsJSON is set for an engine in its own plugin process (PluginFactory): its answers
	// reach Vault only as JSON, so LIST certs/ may answer with its keys already encoded.
	answersAsJSON bool

	reconciler reconciler
}

func newBackend(provider Provider) *backend {
	b := &backend{provider: provider}
	b.tidy = newTidyRunner(b)
	var paths []*framework.Path
	paths = append(paths, b.configPaths()...)
	paths = append(paths, b.rolePaths()...)
	paths = append(paths, b.issuePaths()...)
	paths = append(paths, b.fetchPaths()...)
	paths = append(paths, b.issuerPaths()...)
	paths = append(paths, b.revokePaths()...)
	paths = append(paths, b.tidyPaths()...)
	paths = append(paths, b.caConfigPaths()...)
	paths = append(paths, b.legacyBackupPaths()...)
	paths = append(paths, b.reconcilePaths()...)
	paths = append(paths, b.pendingPaths()...)

	b.Backend = &framework.Backend{
		Help:        strings.TrimSpace(backendHelp),
		BackendType: logical.TypeLogical,
		PathsSpecial: &logical.Paths{
			// The same unauthenticated set as native PKI for the paths this engine serves, so
			// scripts that curl the CA without a token keep working.
			Unauthenticated: []string{
				"cert/*",
				"ca/pem",
				"ca_chain",
				"ca",
				"crl/pem",
				"crl",
				"issuer/+/pem",
				"issuer/+/der",
				"issuer/+/json",
				"issuer/+/crl",
				"issuer/+/crl/pem",
				"issuer/+/crl/der",
				"issuers/",
			},
			// The keys generated for requests the CA holds for approval (pending.go) are seal-wrapped
			// like the CA credentials.
			SealWrapStorage: []string{configStorageKey, pendingKeyPrefix},
			// Certificate records are per cluster, as native keeps them; so is the state of
			// the sync that updates them.
			LocalStorage: localStoragePaths,
		},
		Paths:        paths,
		Secrets:      b.secrets(),
		Invalidate:   b.invalidate,
		PeriodicFunc: b.periodic,
		Clean:        b.clean,
		// Storage written by Keyfactor's older plugin is migrated here (migrate_legacy.go).
		InitializeFunc: b.initialize,
	}
	return b
}

// HandleRequest is framework.Backend's, with the request's storage noting certs/ writes and, in
// the plugin process, a response-wrapped LIST answered in the form Vault can wrap
// (wrappedlist.go).
func (b *backend) HandleRequest(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req != nil && req.Storage != nil {
		req.Storage = b.certIndex.track(req.Storage)
	}
	resp, err := b.Backend.HandleRequest(ctx, req)
	if err != nil || !b.answersAsJSON {
		return resp, err
	}
	return wrappableList(req, resp, b.PathsSpecial.Unauthenticated)
}

// invalidate runs on performance standbys and secondaries when another node changed storage.
func (b *backend) invalidate(_ context.Context, key string) {
	if key == configStorageKey {
		b.closeDriver(context.Background())
	}
	b.storedIssuers.forgetKey(key)
	b.storedRoles.evictKey(key)
	b.certIndex.invalidate(key)
	b.heldRequests.invalidate(key)
}

// currentDriver returns the driver for the stored configuration, building it on first use.
func (b *backend) currentDriver(ctx context.Context, s logical.Storage) (Driver, error) {
	b.driverMu.RLock()
	d := b.driver
	b.driverMu.RUnlock()
	if d != nil {
		return d, nil
	}

	b.driverMu.Lock()
	defer b.driverMu.Unlock()
	if b.driver != nil {
		return b.driver, nil
	}
	conf, err := loadConfigJSON(ctx, s)
	if err != nil {
		return nil, err
	}
	if conf == nil {
		return nil, Invalid("the CA connection is not configured: write it at config first")
	}
	d, _, err = b.provider.NewDriver(conf)
	if err != nil {
		return nil, fmt.Errorf("stored CA configuration is unusable: %w", err)
	}
	b.driver = d
	return d, nil
}

// replaceDriver installs d (nil to drop the cached driver) and closes the previous one once the
// swap is done; requests holding the old driver finish on it.
func (b *backend) replaceDriver(d Driver) {
	b.driverMu.Lock()
	old := b.driver
	b.driver = d
	b.driverMu.Unlock()
	if c, ok := old.(Closer); ok && old != d {
		c.Close()
	}
}

func (b *backend) closeDriver(context.Context) { b.replaceDriver(nil) }

// clean runs when the mount goes away (unmount, seal, leadership lost): background intent
// removals finish first, then the driver closes.
func (b *backend) clean(ctx context.Context) {
	b.waitForSettles()
	b.certIndex.drop()
	b.closeDriver(ctx)
}

// loadConfigJSON reads the stored driver configuration as the JSON object it is stored as; nil
// when none has been written.
func loadConfigJSON(ctx context.Context, s logical.Storage) (json.RawMessage, error) {
	conf, err := getJSON[json.RawMessage](ctx, s, configStorageKey, "config")
	if err != nil || conf == nil {
		return nil, err
	}
	return *conf, nil
}

// loadConfig reads the stored driver configuration; nil when none has been written.
func loadConfig(ctx context.Context, s logical.Storage) (map[string]interface{}, error) {
	conf, err := getJSON[map[string]interface{}](ctx, s, configStorageKey, "config")
	if err != nil || conf == nil {
		return nil, err
	}
	return *conf, nil
}
