package keyfactor

import (
	"context"
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// chainTTL is how long a CA chain is served from memory before Command is asked again. CA
// certificates change rarely; an enrollment that returns a different chain replaces it sooner.
const chainTTL = time.Hour

type chainEntry struct {
	chain   []*x509.Certificate
	fetched time.Time
}

// chainCache holds CA chains by CA (logical name, case-folded).
type chainCache struct {
	mu      sync.Mutex
	entries map[string]chainEntry
	now     func() time.Time
}

func newChainCache() *chainCache {
	return &chainCache{entries: map[string]chainEntry{}, now: time.Now}
}

func (c *chainCache) get(ca string) []*x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[caKey(ca)]
	if !ok || c.now().Sub(e.fetched) > chainTTL {
		return nil
	}
	return append([]*x509.Certificate(nil), e.chain...)
}

// offer stores a chain an enrollment returned. A chain equal to the cached one only renews its
// age; a different one (a renewed CA certificate) replaces it.
func (c *chainCache) offer(ca string, chain []*x509.Certificate) {
	if len(chain) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[caKey(ca)] = chainEntry{chain: append([]*x509.Certificate(nil), chain...), fetched: c.now()}
}

func (c *chainCache) clear() {
	c.mu.Lock()
	c.entries = map[string]chainEntry{}
	c.mu.Unlock()
}

// CAChain returns the chain of a CA, issuing certificate first. It comes from the cache, else
// from Command's inventory: the CA's own certificate (CertState 6, IssuedCN = logical name)
// downloaded with its chain, else the chain of any certificate the CA issued.
func (d *keyfactorDriver) CAChain(ctx context.Context, name string) ([]*x509.Certificate, error) {
	ca, err := d.resolveCA(name)
	if err != nil {
		return nil, err
	}
	if chain := d.chains.get(ca); chain != nil {
		return chain, nil
	}
	chain, err := d.lookupCAChain(ctx, ca)
	if err != nil {
		return nil, err
	}
	d.chains.offer(ca, chain)
	return chain, nil
}

func (d *keyfactorDriver) lookupCAChain(ctx context.Context, ca string) ([]*x509.Certificate, error) {
	logical := logicalName(ca)
	caQuery, err := pqlAllOf(pqlInt("CertState", certStateIssuingCA), pqlText("IssuedCN", logical))
	if err != nil {
		return nil, cadriver.Invalid("%v", err)
	}
	leafQuery, err := pqlAllOf(pqlText("CA", logical))
	if err != nil {
		return nil, cadriver.Invalid("%v", err)
	}

	caRecords, err := d.searchCertificates(ctx, certQuery{
		pql:            caQuery,
		includeExpired: true,
		pageSize:       50,
		maxPages:       1,
	})
	if err != nil {
		return nil, err
	}
	if rec := newestRecord(caRecords); rec != nil {
		bundle, err := d.downloadChain(ctx, int64(rec.ID))
		if err != nil {
			return nil, err
		}
		caCert := findBySerial(bundle, rec.SerialNumber)
		if chain := orderCAChain(caCert, bundle); len(chain) > 0 {
			return chain, nil
		}
	}

	// No CA record under that name (the CA certificate's CN may differ from the logical
	// name): take the chain of a certificate the CA issued.
	leaves, err := d.searchCertificates(ctx, certQuery{
		pql:            leafQuery,
		includeRevoked: true,
		includeExpired: true,
		pageSize:       1,
		maxPages:       1,
	})
	if err != nil {
		return nil, err
	}
	for _, rec := range leaves {
		bundle, err := d.downloadChain(ctx, int64(rec.ID))
		if err != nil {
			return nil, err
		}
		leaf, rest := splitLeaf(bundle, nil)
		if chain := orderChain(leaf, rest); len(chain) > 0 {
			return chain, nil
		}
	}
	return nil, &cadriver.NotFoundError{Message: fmt.Sprintf(
		"CA '%s' not found in Keyfactor Command's inventory: no CA certificate with IssuedCN %q (CertState %d) and no certificate issued by it", ca, logical, certStateIssuingCA)}
}

// newestRecord picks the record that is valid longest (a renewed CA certificate over the old).
func newestRecord(records []certificateRecord) *certificateRecord {
	var best *certificateRecord
	for i := range records {
		r := &records[i]
		if r.ID <= 0 {
			continue
		}
		if best == nil || r.NotAfter.After(best.NotAfter.Time) {
			best = r
		}
	}
	return best
}

// findBySerial returns the certificate of bundle whose serial is Command's hex serial.
func findBySerial(bundle []*x509.Certificate, hexSerial string) *x509.Certificate {
	serial, ok := parseHexSerial(hexSerial)
	if !ok {
		return nil
	}
	for _, c := range bundle {
		if c.SerialNumber.Cmp(serial) == 0 {
			return c
		}
	}
	return nil
}

// parseHexSerial reads a serial as Command shows it (hex, maybe with separators).
func parseHexSerial(s string) (*big.Int, bool) {
	clean := strings.Map(func(r rune) rune {
		if r == ':' || r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
	if clean == "" {
		return nil, false
	}
	n, ok := new(big.Int).SetString(clean, 16)
	return n, ok
}
