package keyfactor

import (
	"net/http"
	"testing"
)

// TestDecideRetryNeverIssuesTwice is the no-double-issuance rule as a table: a call that may
// change Command (enroll, revoke) is repeated only when Command provably did not process it.
func TestDecideRetryNeverIssuesTwice(t *testing.T) {
	cases := []struct {
		name string
		r    attemptResult
		want retryAction
	}{
		// Calls that may issue or revoke.
		{"enroll: connection failed before sending", attemptResult{attempt: 1, transportFailed: true}, retryAfterWait},
		{"enroll: connection dropped after sending", attemptResult{attempt: 1, transportFailed: true, sent: true}, stopTrying},
		{"enroll: never sent, attempts used up", attemptResult{attempt: maxAttempts, transportFailed: true}, stopTrying},
		{"enroll: 401 with a renewable token", attemptResult{attempt: 1, sent: true, status: http.StatusUnauthorized, canRenewToken: true}, retryWithNewAuth},
		{"enroll: 401 after renewing once", attemptResult{attempt: 1, sent: true, status: http.StatusUnauthorized}, stopTrying},
		{"enroll: 503 may have been processed", attemptResult{attempt: 1, sent: true, status: http.StatusServiceUnavailable}, stopTrying},
		{"enroll: 429", attemptResult{attempt: 1, sent: true, status: http.StatusTooManyRequests}, stopTrying},
		{"enroll: 500", attemptResult{attempt: 1, sent: true, status: http.StatusInternalServerError}, stopTrying},
		{"enroll: 502 from a proxy", attemptResult{attempt: 1, sent: true, status: http.StatusBadGateway}, stopTrying},
		{"enroll: 200", attemptResult{attempt: 1, sent: true, status: http.StatusOK}, stopTrying},
		// Read-only calls.
		{"search: connection dropped after sending", attemptResult{readOnly: true, attempt: 1, transportFailed: true, sent: true}, retryAfterWait},
		{"search: transport failure, attempts used up", attemptResult{readOnly: true, attempt: maxAttempts, transportFailed: true, sent: true}, stopTrying},
		{"search: 503", attemptResult{readOnly: true, attempt: 1, sent: true, status: http.StatusServiceUnavailable}, retryAfterWait},
		{"search: 429", attemptResult{readOnly: true, attempt: 2, sent: true, status: http.StatusTooManyRequests}, retryAfterWait},
		{"search: 503, attempts used up", attemptResult{readOnly: true, attempt: maxAttempts, sent: true, status: http.StatusServiceUnavailable}, stopTrying},
		{"search: 500 is not transient", attemptResult{readOnly: true, attempt: 1, sent: true, status: http.StatusInternalServerError}, stopTrying},
		{"search: 404", attemptResult{readOnly: true, attempt: 1, sent: true, status: http.StatusNotFound}, stopTrying},
		{"search: 401 with a renewable token", attemptResult{readOnly: true, attempt: 3, sent: true, status: http.StatusUnauthorized, canRenewToken: true}, retryWithNewAuth},
	}
	for _, tc := range cases {
		if got := decideRetry(tc.r); got != tc.want {
			t.Errorf("%s: decideRetry(%+v) = %d, want %d", tc.name, tc.r, got, tc.want)
		}
	}
	// Whatever the attempt number, a call that may issue is never repeated once sent, unless
	// Command answered 401 to a renewable credential.
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		for _, status := range []int{0, 200, 202, 400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504} {
			r := attemptResult{attempt: attempt, sent: true, status: status, transportFailed: status == 0}
			if got := decideRetry(r); got != stopTrying {
				t.Errorf("a sent enrollment would be repeated: %+v -> %d", r, got)
			}
		}
	}
}
