package keyfactor

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

const (
	// maxAttempts bounds tries of one call where retrying is allowed.
	maxAttempts = 3
	// retryBaseDelay is the first backoff; it doubles per attempt, with jitter.
	retryBaseDelay = 200 * time.Millisecond
	// maxRetryAfter caps how long a Retry-After header can make a read wait.
	maxRetryAfter = 10 * time.Second
	// maxBodyBytes bounds what is read of one answer.
	maxBodyBytes = 32 << 20
	userAgent    = "vault-plugin-secrets-keyfactor"
)

// apiCall is one request to the Command API.
type apiCall struct {
	method string
	path   []string // segments below the API base, each escaped by url.JoinPath
	query  url.Values
	body   interface{} // marshalled as JSON when not nil
	format string      // x-certificateformat, when the endpoint needs one
	// readOnly marks calls that cannot change anything in Command (searches, reads, downloads):
	// they may be retried after the request was sent. Everything else is retried only when
	// the request provably never left (or Command provably refused it before processing).
	readOnly bool
}

func (c apiCall) op() string {
	p := "/"
	for i, seg := range c.path {
		if i > 0 {
			p += "/"
		}
		p += seg
	}
	return c.method + " " + p
}

// apiResponse is a complete answer: status, headers and the whole body.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r *apiResponse) ok() bool { return r.status >= 200 && r.status < 300 }

// call sends one API request with the driver's headers and credentials, inside the configured
// timeout, and returns the answer whatever its status. It retries only where no second
// issuance or revocation can result, and renews an OAuth token once on a 401.
func (d *keyfactorDriver) call(ctx context.Context, c apiCall) (*apiResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, d.settings.timeout)
	defer cancel()
	defer d.afterCall()

	var payload []byte
	if c.body != nil {
		var err error
		if payload, err = json.Marshal(c.body); err != nil {
			return nil, fmt.Errorf("encoding %s request: %w", c.op(), err)
		}
	}
	endpoint := d.settings.apiBase.JoinPath(c.path...)
	if len(c.query) > 0 {
		endpoint.RawQuery = encodeQuery(c.query)
	}

	renewed := false
	for attempt := 1; ; attempt++ {
		resp, credential, sent, err := d.roundTrip(ctx, c, endpoint, payload)
		if err != nil {
			if ctxErr := d.contextError(ctx, c, err); ctxErr != nil {
				return nil, ctxErr
			}
			var te *tokenError
			if errors.As(err, &te) {
				return nil, d.tokenFailure(te)
			}
			if tlsErr := tlsFailure(err); tlsErr != nil {
				return nil, tlsErr
			}
			if decideRetry(attemptResult{readOnly: c.readOnly, attempt: attempt, transportFailed: true, sent: sent}) == retryAfterWait {
				if d.sleep(ctx, backoff(attempt)) {
					continue
				}
				return nil, d.contextError(ctx, c, err)
			}
			if sent && !c.readOnly {
				return nil, unavailable(false, err, "connection to Keyfactor Command failed during %s after the request was sent; Command may have processed it, so check its inventory before trying again: %s", c.op(), d.redact(transportReason(err)))
			}
			return nil, unavailable(false, err, "Keyfactor Command is unreachable (%s): %s", c.op(), d.redact(transportReason(err)))
		}
		result := attemptResult{readOnly: c.readOnly, attempt: attempt, sent: true, status: resp.status,
			canRenewToken: resp.status == http.StatusUnauthorized && !renewed && credential != ""}
		switch decideRetry(result) {
		case retryWithNewAuth:
			// A 401 is answered before Command processes the request, so sending it again
			// with a fresh token cannot issue twice.
			if d.auth.renew(credential) {
				renewed = true
				attempt--
				continue
			}
		case retryAfterWait:
			wait := backoff(attempt)
			if ra, ok := retryAfter(resp.header); ok {
				wait = ra
			}
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
				return resp, nil
			}
			if d.sleep(ctx, wait) {
				continue
			}
		}
		return resp, nil
	}
}

// roundTrip performs one attempt. sent reports whether any of the request reached the wire,
// which decides whether an unsafe call may be retried.
func (d *keyfactorDriver) roundTrip(ctx context.Context, c apiCall, endpoint *url.URL, payload []byte) (*apiResponse, string, bool, error) {
	// The transport reports writes from its own goroutine, hence the atomic.
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { sent.Store(true) }}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), c.method, endpoint.String(), body)
	if err != nil {
		return nil, "", false, fmt.Errorf("building %s request: %w", c.op(), err)
	}
	req.Header.Set("x-keyfactor-requested-with", "APIClient")
	req.Header.Set("x-keyfactor-api-version", "1")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if c.format != "" {
		req.Header.Set("x-certificateformat", c.format)
	}
	credential, err := d.auth.authorize(ctx, req)
	if err != nil {
		return nil, "", false, err
	}
	httpResp, err := d.client.Do(req)
	if err != nil {
		return nil, credential, sent.Load(), err
	}
	defer httpResp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(httpResp.Body, maxBodyBytes))
	if err != nil {
		return nil, credential, true, err
	}
	// Drain what the limit left so the connection can be reused.
	_, _ = io.Copy(io.Discard, httpResp.Body)
	return &apiResponse{status: httpResp.StatusCode, header: httpResp.Header, body: data}, credential, true, nil
}

// contextError turns an expired or cancelled context into an UnavailableError, telling the
// configured timeout apart from the caller giving up.
func (d *keyfactorDriver) contextError(ctx context.Context, c apiCall, err error) error {
	if ctx.Err() == nil {
		return nil
	}
	mayHaveHappened := ""
	if !c.readOnly {
		mayHaveHappened = "; Command may still complete it, so check its inventory before trying again"
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return unavailable(true, err, "Keyfactor Command did not answer %s within %s%s", c.op(), d.settings.timeout, mayHaveHappened)
	}
	return unavailable(false, err, "request %s to Keyfactor Command was cancelled%s", c.op(), mayHaveHappened)
}

// tokenFailure explains a failed OAuth token request. A refusal by the token endpoint is the
// plugin's configuration problem (502); an unreachable endpoint is unavailability (503).
func (d *keyfactorDriver) tokenFailure(te *tokenError) error {
	var re *oauth2.RetrieveError
	if errors.As(te.err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		detail := re.ErrorCode
		if re.ErrorDescription != "" {
			detail += ": " + re.ErrorDescription
		}
		if detail == "" {
			detail = cleanText(string(re.Body), 512)
		}
		return &CommandError{
			Op:         "POST " + d.settings.tokenURL,
			Peer:       "the OAuth token endpoint",
			HTTPStatus: status,
			Message:    d.redact(cleanText(detail, 512)),
			Hint:       "no OAuth token for the plugin (check client_id, client_secret, scopes and audience)",
			status:     http.StatusBadGateway,
		}
	}
	if tlsErr := tlsFailure(te.err); tlsErr != nil {
		return tlsErr
	}
	return unavailable(false, te, "the OAuth token endpoint is unreachable: %s", d.redact(transportReason(te.err)))
}

// tlsFailure recognises certificate verification failures, which no retry can fix.
func tlsFailure(err error) error {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &host), errors.As(err, &verify):
		return &CommandError{
			Op:      "TLS handshake",
			Message: transportReason(err),
			Hint:    "the server's TLS certificate is not trusted (set command_cert_path to the CA that signed it)",
			status:  http.StatusBadGateway,
		}
	}
	return nil
}

// transportReason is the innermost useful text of a transport error, without the request URL
// prefix url.Error adds.
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return cleanText(err.Error(), 512)
}

// retryAfter reads a Retry-After header (seconds or HTTP date), capped at maxRetryAfter.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	var wait time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		wait = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		wait = time.Until(at)
	} else {
		return 0, false
	}
	if wait < 0 {
		wait = 0
	}
	if wait > maxRetryAfter {
		wait = maxRetryAfter
	}
	return wait, true
}

func backoff(attempt int) time.Duration {
	d := retryBaseDelay << (attempt - 1)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// sleep waits d unless ctx ends first; it reports whether the wait completed.
func (d *keyfactorDriver) sleep(ctx context.Context, wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// callJSON sends c and decodes a 2xx answer into out (when out is not nil). Any other status
// becomes a CommandError following policy.
func (d *keyfactorDriver) callJSON(ctx context.Context, c apiCall, policy errorPolicy, out interface{}) (*apiResponse, error) {
	resp, err := d.call(ctx, c)
	if err != nil {
		return nil, err
	}
	if !resp.ok() {
		return resp, d.newCommandError(c.op(), resp, policy)
	}
	if out != nil && len(bytes.TrimSpace(resp.body)) > 0 {
		if err := json.Unmarshal(resp.body, out); err != nil {
			return resp, &CommandError{
				Op:         c.op(),
				HTTPStatus: resp.status,
				Message:    d.redact(cleanText(string(resp.body), 200)),
				Hint:       "Command's answer is not the expected JSON",
				status:     http.StatusBadGateway,
			}
		}
	}
	return resp, nil
}
