package keyfactor

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// CommandError is an HTTP error answer from Command. Its message names the operation, Command's
// status, ErrorCode and Message, and what the plugin makes of it; StatusCode tells the engine
// which status to answer (a caller's mistake, a missing object, or Command's failure). That
// status is the only thing callers test (see cadriver.StatusCoder).
type CommandError struct {
	Op         string // "POST /Enrollment/CSR"
	Peer       string // who answered; empty means Keyfactor Command
	HTTPStatus int
	ErrorCode  string
	Message    string // Command's message, or the body text when it was not JSON
	Hint       string // what the plugin concludes, e.g. "Command rejected the plugin's credentials"

	status int // the status the engine should answer
}

func (e *CommandError) Error() string {
	var b strings.Builder
	if e.HTTPStatus >= 200 && e.HTTPStatus < 300 || e.HTTPStatus == 0 {
		// Not an HTTP error: Command answered, but the answer itself is the problem.
		b.WriteString(e.Hint)
		fmt.Fprintf(&b, " (%s, %s)", e.peer(), e.Op)
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
		return b.String()
	}
	if e.Hint != "" {
		b.WriteString(e.Hint)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s answered %s with HTTP %d", e.peer(), e.Op, e.HTTPStatus)
	if text := http.StatusText(e.HTTPStatus); text != "" {
		b.WriteString(" " + text)
	}
	if e.ErrorCode != "" {
		b.WriteString(", ErrorCode " + e.ErrorCode)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func (e *CommandError) peer() string {
	if e.Peer != "" {
		return e.Peer
	}
	return "Keyfactor Command"
}

// StatusCode is the status the engine should answer.
func (e *CommandError) StatusCode() int { return e.status }

// CAHTTPStatus is the HTTP status Command answered (cadriver.CAAnswerError).
func (e *CommandError) CAHTTPStatus() int { return e.HTTPStatus }

// CAErrorCode is Command's ErrorCode, empty when it gave none (cadriver.CAAnswerError).
func (e *CommandError) CAErrorCode() string { return e.ErrorCode }

// NotIssued reports that Command refused the call with a 4xx (credentials, permissions, the
// request itself): an enrollment refused that way issued nothing, so pkicompat can drop its
// write-ahead intent at once. A 5xx or a broken answer leaves the outcome unknown.
func (e *CommandError) NotIssued() bool {
	return e.HTTPStatus >= http.StatusBadRequest && e.HTTPStatus < http.StatusInternalServerError
}

// errorPolicy says how one call maps Command's 400 and 404 answers: for some calls they are
// the caller's mistake, for others Command's problem.
type errorPolicy struct {
	badRequestIsCallers bool
	notFoundIsCallers   bool
}

// newCommandError decodes an error answer. Non-JSON bodies (IIS error pages, proxies) are kept
// as trimmed text.
func (d *keyfactorDriver) newCommandError(op string, resp *apiResponse, policy errorPolicy) *CommandError {
	e := &CommandError{Op: op, HTTPStatus: resp.status}
	var body errorBody
	if len(strings.TrimSpace(string(resp.body))) > 0 {
		if err := json.Unmarshal(resp.body, &body); err == nil && (body.ErrorCode != "" || body.Message != "") {
			e.ErrorCode = d.redact(cleanText(body.ErrorCode, 64))
			msg := body.Message
			for _, f := range body.FailedOperations {
				if f.Reason != "" {
					msg += "; " + f.Reason
				}
			}
			e.Message = d.redact(cleanText(msg, 1024))
		} else {
			e.Message = d.redact(cleanText(string(resp.body), 512))
		}
	}

	switch {
	case resp.status == http.StatusUnauthorized:
		e.Hint = fmt.Sprintf("Command rejected the plugin's credentials (auth method: %s); check the auth fields in config", d.settings.auth)
		e.status = http.StatusBadGateway
	case resp.status == http.StatusForbidden:
		e.Hint = "the plugin's Command identity lacks a permission this operation needs"
		e.status = http.StatusBadGateway
	case resp.status == http.StatusBadRequest && policy.badRequestIsCallers:
		e.Hint = "Command rejected the request"
		e.status = http.StatusBadRequest
	case resp.status == http.StatusNotFound && policy.notFoundIsCallers:
		e.Hint = "not found in Command"
		e.status = http.StatusNotFound
	case resp.status == http.StatusTooManyRequests || resp.status == http.StatusServiceUnavailable:
		e.Hint = "Command is unavailable"
		e.status = http.StatusServiceUnavailable
	default:
		e.status = http.StatusBadGateway
	}
	return e
}

// cleanText makes foreign text safe for one error line: control characters become spaces,
// runs of white space collapse, and it is cut at max runes.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

// redact removes every configured secret (and the current OAuth token) from text that came
// from outside: an error page or token endpoint echoing a credential must not reach a log.
func (d *keyfactorDriver) redact(s string) string {
	for _, secret := range d.secrets() {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

func (d *keyfactorDriver) secrets() []string {
	c := d.settings.cfg
	out := []string{c.Password, c.ClientSecret, c.AccessToken}
	if d.settings.auth == authBasic {
		// The Authorization header value is the credentials, merely encoded.
		out = append(out, base64.StdEncoding.EncodeToString([]byte(d.settings.basicUser+":"+c.Password)))
	}
	if o, ok := d.auth.(*oauthTokens); ok {
		if latest := o.latest.Load(); latest != nil {
			out = append(out, *latest)
		}
	}
	return out
}

// unavailable is the error for a Command that could not be reached or did not answer.
func unavailable(timeout bool, err error, format string, args ...interface{}) error {
	return &cadriver.UnavailableError{Message: fmt.Sprintf(format, args...), Timeout: timeout, Err: err}
}
