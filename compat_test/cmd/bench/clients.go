package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// requestTimeout bounds every single request the bench sends.
const requestTimeout = time.Minute

// vaultClient sends API requests to Vault with a pool large enough for the highest concurrency,
// so the load generator never opens connections in the measured loop.
type vaultClient struct {
	addr, token string
	http        *http.Client
}

func newVaultClient(env *realvault.Env, poolSize int) *vaultClient {
	transport := &http.Transport{MaxIdleConns: poolSize, MaxIdleConnsPerHost: poolSize, IdleConnTimeout: 5 * time.Minute}
	return &vaultClient{addr: env.Addr, token: env.Token, http: &http.Client{Transport: transport, Timeout: requestTimeout}}
}

// call sends method to /v1/<path> with body (JSON, may be nil) and returns the answer's body.
// Any status other than 2xx is an error carrying the start of Vault's answer.
func (c *vaultClient) call(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	status, raw, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return nil, fmt.Errorf("%s %s: status %d: %s", method, path, status, truncate(raw, 400))
	}
	return raw, nil
}

// refused sends a request Vault must refuse with want; any other answer is an error.
func (c *vaultClient) refused(ctx context.Context, method, path string, body []byte, want int) error {
	status, raw, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, status, want, truncate(raw, 400))
	}
	return nil
}

// send sends one request and returns the status and the whole body.
func (c *vaultClient) send(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	u, err := url.JoinPath(c.addr, "v1", path)
	if err != nil {
		return 0, nil, err
	}
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reader)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Vault-Token", c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, raw, nil
}

// listCount LISTs path and returns how many keys Vault answered.
func (c *vaultClient) listCount(ctx context.Context, path string) (int, error) {
	raw, err := c.call(ctx, "LIST", path, nil)
	if err != nil {
		if strings.Contains(err.Error(), "status 404") {
			return 0, nil // an empty list is a 404 in Vault
		}
		return 0, err
	}
	var answer struct {
		Data struct {
			Keys []string `json:"keys"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return 0, fmt.Errorf("LIST %s: answer is not a key list: %w", path, err)
	}
	return len(answer.Data.Keys), nil
}

// commandClient talks to the simulator directly: the direct-to-Command enrollment (the same one
// the plugin sends) and the admin counters. It counts its own TCP dials so they can be taken out
// of the simulator's connection counter.
type commandClient struct {
	sim   realvault.SimInfo
	http  *http.Client
	dials atomic.Int64
	token string
}

func newCommandClient(ctx context.Context, sim realvault.SimInfo, poolSize int) (*commandClient, error) {
	c := &commandClient{sim: sim}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if sim.CABundle != "" {
		pemBytes, err := os.ReadFile(sim.CABundle)
		if err != nil {
			return nil, fmt.Errorf("reading the simulator's TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("the simulator's TLS CA file %s holds no certificate", sim.CABundle)
		}
		tlsConf.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c.dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     tlsConf,
		MaxIdleConns:        poolSize,
		MaxIdleConnsPerHost: poolSize,
		IdleConnTimeout:     5 * time.Minute,
		ForceAttemptHTTP2:   true,
	}
	c.http = &http.Client{Transport: transport, Timeout: requestTimeout}
	token, err := c.fetchToken(ctx)
	if err != nil {
		return nil, err
	}
	c.token = token
	return c, nil
}

// fetchToken gets an OAuth access token with the client-credentials grant, as the plugin does.
func (c *commandClient) fetchToken(ctx context.Context) (string, error) {
	form := url.Values{}
	form.Set("grant_type", "client_credentials")
	form.Set("client_id", c.sim.ClientID)
	form.Set("client_secret", c.sim.ClientSecret)
	form.Set("scope", "keyfactor-api")
	form.Set("audience", c.sim.Audience)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sim.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	raw, err := c.do(req)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || answer.AccessToken == "" {
		return "", fmt.Errorf("token request: no access_token in the answer")
	}
	return answer.AccessToken, nil
}

// enrollment is the body of POST /Enrollment/CSR, the fields the plugin's driver sends.
type enrollment struct {
	CSR                  string              `json:"CSR"`
	CertificateAuthority string              `json:"CertificateAuthority,omitempty"`
	Template             string              `json:"Template,omitempty"`
	IncludeChain         bool                `json:"IncludeChain"`
	SANs                 map[string][]string `json:"SANs,omitempty"`
	Timestamp            string              `json:"Timestamp"`
}

// enroll sends one CSR enrollment straight to the simulator.
func (c *commandClient) enroll(ctx context.Context, csrPEM, dnsName string) error {
	body, err := json.Marshal(enrollment{
		CSR: csrPEM, CertificateAuthority: c.sim.CA, Template: c.sim.Template, IncludeChain: true,
		SANs: map[string][]string{"dns": {dnsName}}, Timestamp: time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return err
	}
	u, err := url.JoinPath(c.sim.URL, c.sim.APIPath, "Enrollment", "CSR")
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("x-keyfactor-requested-with", "APIClient")
	req.Header.Set("x-keyfactor-api-version", "1")
	req.Header.Set("x-certificateformat", "PEM")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	_, err = c.do(req)
	return err
}

// counters reads the simulator's counters through its admin API.
func (c *commandClient) counters(ctx context.Context) (commandtest.Counters, error) {
	var counters commandtest.Counters
	u, err := url.JoinPath(c.sim.AdminURL, "counters")
	if err != nil {
		return counters, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return counters, err
	}
	raw, err := c.do(req)
	if err != nil {
		return counters, err
	}
	if err := json.Unmarshal(raw, &counters); err != nil {
		return counters, fmt.Errorf("GET %s: not the counters: %w", u, err)
	}
	return counters, nil
}

// expireTokens makes every OAuth token the simulator issued invalid now.
func (c *commandClient) expireTokens(ctx context.Context) error {
	u, err := url.JoinPath(c.sim.AdminURL, "tokens", "expire")
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	_, err = c.do(req)
	return err
}

func (c *commandClient) do(req *http.Request) ([]byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, truncate(raw, 400))
	}
	return raw, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
