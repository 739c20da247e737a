package cadriver

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

// The one error rule: an error's status is the first StatusCode in its chain, else the fallback.
func TestStatusOf(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{Invalid("bad %d", 1), http.StatusBadRequest},
		{fmt.Errorf("context: %w", &NotFoundError{Message: "gone"}), http.StatusNotFound},
		{&UnavailableError{Message: "down"}, http.StatusServiceUnavailable},
		{&UnavailableError{Message: "slow", Timeout: true}, http.StatusGatewayTimeout},
		{&PendingApprovalError{RequestID: "7"}, http.StatusConflict},
		{errors.New("plain"), http.StatusBadGateway},
		{nil, http.StatusBadGateway},
	}
	for _, tc := range cases {
		if got := StatusOf(tc.err, http.StatusBadGateway); got != tc.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if msg := (&PendingApprovalError{RequestID: "7", Message: "approver needed"}).Error(); msg != "certificate request 7 is pending approval in the CA: approver needed" {
		t.Errorf("pending message %q", msg)
	}
}
