package keyfactor

import (
	"net/url"
	"testing"
)

func TestEncodeQuerySpacesAsPercent20(t *testing.T) {
	got := encodeQuery(url.Values{"pq.queryString": {`IssuedCN -eq "a+b c"`}})
	want := "pq.queryString=IssuedCN%20-eq%20%22a%2Bb%20c%22"
	if got != want {
		t.Errorf("encodeQuery = %s, want %s", got, want)
	}
	back, err := url.ParseQuery(got)
	if err != nil || back.Get("pq.queryString") != `IssuedCN -eq "a+b c"` {
		t.Errorf("does not decode back: %v %q", err, back.Get("pq.queryString"))
	}
}
