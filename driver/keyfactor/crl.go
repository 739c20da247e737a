package keyfactor

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// crlFallbackTTL is how long a CRL without NextUpdate is reused.
const crlFallbackTTL = 5 * time.Minute

type crlEntry struct {
	der   []byte
	until time.Time
}

// crlCache holds each CA's CRL until its NextUpdate.
type crlCache struct {
	mu      sync.Mutex
	entries map[string]crlEntry
	now     func() time.Time
}

func newCRLCache() *crlCache { return &crlCache{entries: map[string]crlEntry{}, now: time.Now} }

func (c *crlCache) get(ca string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[caKey(ca)]
	if !ok || !c.now().Before(e.until) {
		return nil
	}
	return e.der
}

func (c *crlCache) put(ca string, der []byte, until time.Time) {
	c.mu.Lock()
	c.entries[caKey(ca)] = crlEntry{der: der, until: until}
	c.mu.Unlock()
}

func (c *crlCache) clear() {
	c.mu.Lock()
	c.entries = map[string]crlEntry{}
	c.mu.Unlock()
}

// CRL returns the CA's current CRL (DER). Command has no CRL API, so it is fetched from a CRL
// distribution point: one seen in a certificate the CA issued, else one found on a certificate
// of the CA in Command's inventory, else the CA certificate's own CDP directory with the CA's
// name (the AD CS layout). Whatever is fetched must be signed by the CA.
func (d *keyfactorDriver) CRL(ctx context.Context, name string) ([]byte, error) {
	ca, err := d.resolveCA(name)
	if err != nil {
		return nil, err
	}
	if der := d.crls.get(ca); der != nil {
		return der, nil
	}
	chain, err := d.CAChain(ctx, ca)
	if err != nil {
		return nil, err
	}
	issuer := chain[0]
	candidates, err := d.crlCandidates(ctx, ca, issuer)
	if err != nil {
		return nil, err
	}
	if len(candidates) == 0 {
		return nil, &cadriver.NotFoundError{Message: fmt.Sprintf("no CRL distribution point is known for CA '%s': it has issued no certificate with an http CRL distribution point", ca)}
	}
	var failures []string
	for _, u := range candidates {
		crl, der, err := d.fetchCRL(ctx, u, issuer)
		if err != nil {
			failures = append(failures, err.Error())
			continue
		}
		until := crl.NextUpdate
		if until.IsZero() {
			until = d.crls.now().Add(crlFallbackTTL)
		}
		d.crls.put(ca, der, until)
		return der, nil
	}
	return nil, &cadriver.UnavailableError{Message: fmt.Sprintf("no CRL of CA '%s' could be fetched: %s", ca, strings.Join(failures, "; "))}
}

// crlCandidates lists distribution points to try, best first, without duplicates.
func (d *keyfactorDriver) crlCandidates(ctx context.Context, ca string, issuer *x509.Certificate) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(urls ...string) {
		for _, u := range urls {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	d.leafCDPsMu.Lock()
	add(d.leafCDPs[caKey(ca)]...)
	d.leafCDPsMu.Unlock()

	if len(out) == 0 {
		query, err := pqlAllOf(pqlText("CA", logicalName(ca)))
		if err != nil {
			return nil, cadriver.Invalid("%v", err)
		}
		leaves, err := d.searchCertificates(ctx, certQuery{pql: query, includeRevoked: true, includeExpired: true, pageSize: 1, maxPages: 1})
		if err != nil {
			return nil, err
		}
		for _, rec := range leaves {
			for _, dp := range rec.CRLDistributionPoints {
				add(httpURLs([]string{dp.URL})...)
			}
		}
	}
	// The CA certificate's own CDP names its parent's CRL; the CA's CRL usually sits next to
	// it under the CA's name. The signature check in fetchCRL rejects a wrong guess.
	for _, u := range httpURLs(issuer.CRLDistributionPoints) {
		for _, file := range crlFileNames(logicalName(ca), issuer) {
			if guess, ok := siblingCRLURL(u, file); ok {
				add(guess)
			}
		}
	}
	return out, nil
}

// siblingCRLURL replaces the file name of a CRL URL with file.
func siblingCRLURL(raw, file string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || file == "" {
		return "", false
	}
	u.Path = path.Join(path.Dir(u.Path), file)
	u.RawPath = ""
	return u.String(), true
}

// fetchCRL downloads a CRL (DER or PEM) and checks it is the CA's. No credentials are sent: a
// distribution point is public and may be another host.
func (d *keyfactorDriver) fetchCRL(ctx context.Context, rawURL string, issuer *x509.Certificate) (*x509.RevocationList, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, d.settings.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", rawURL, err)
	}
	req.Header.Set("User-Agent", userAgent)
	// Distribution points may redirect (http to https, a CDN); no credentials are attached, so
	// following is safe here, unlike for API calls.
	client := *d.client
	client.CheckRedirect = nil
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("%s: no answer within %s", rawURL, d.settings.timeout)
		}
		return nil, nil, fmt.Errorf("%s: %s", rawURL, transportReason(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s", rawURL, transportReason(err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s: HTTP %d", rawURL, resp.StatusCode)
	}
	der := data
	if block, _ := pem.Decode(data); block != nil && strings.Contains(block.Type, "CRL") {
		der = block.Bytes
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a CRL: %v", rawURL, err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, nil, fmt.Errorf("%s: CRL is not signed by CA '%s'", rawURL, issuer.Subject.CommonName)
	}
	return crl, bytes.Clone(der), nil
}

// httpURLs keeps the http and https URLs (LDAP distribution points cannot be fetched here).
func httpURLs(urls []string) []string {
	var out []string
	for _, raw := range urls {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Host == "" {
			continue
		}
		if s := strings.ToLower(u.Scheme); s == "http" || s == "https" {
			out = append(out, u.String())
		}
	}
	return out
}
