package keyfactor

import "net/http"

// attemptResult is what one try of an API call came to, as far as retrying is concerned.
type attemptResult struct {
	readOnly bool // the call cannot change anything in Command (search, read, download)
	attempt  int  // 1-based number of this try
	// transportFailed: no HTTP answer was read; sent says whether any of the request reached
	// the wire before that.
	transportFailed bool
	sent            bool
	status          int  // the HTTP status, when an answer was read
	canRenewToken   bool // a 401 was answered to a credential that can be renewed, not yet renewed
}

// retryAction is what call does after an attempt.
type retryAction int

const (
	stopTrying       retryAction = iota // return what this attempt produced
	retryAfterWait                      // wait (backoff or Retry-After) and try again
	retryWithNewAuth                    // renew the credential and try again at once
)

// decideRetry is the retry rule of call, kept pure so the no-double-issuance rule can be tested
// by table: a call that may change something in Command (enroll, revoke) is sent again only when
// Command provably did not process it — the request never reached the wire, or Command
// answered 401 before processing it. Read-only calls may also be retried after a transport
// failure or a 429/503 answer. Every retry but the token renewal counts against maxAttempts.
func decideRetry(r attemptResult) retryAction {
	if r.transportFailed {
		if r.attempt < maxAttempts && (r.readOnly || !r.sent) {
			return retryAfterWait
		}
		return stopTrying
	}
	if r.status == http.StatusUnauthorized && r.canRenewToken {
		return retryWithNewAuth
	}
	if r.readOnly && r.attempt < maxAttempts && (r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable) {
		return retryAfterWait
	}
	return stopTrying
}
