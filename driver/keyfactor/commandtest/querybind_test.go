package commandtest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// manyTemplatesInventory is the default inventory plus n extra CSR templates, so a template list is
// longer than the default page of 50.
func manyTemplatesInventory(n int) *Inventory {
	inv := DefaultInventory()
	for i := 0; i < n; i++ {
		inv.Templates = append(inv.Templates, InventoryTemplate{
			CommonName: fmt.Sprintf("ADCS%02d", i), DisplayName: fmt.Sprintf("AD CS %02d", i),
			AllowedEnrollmentTypes: EnrollmentTypeCSR, Validity: Duration(24 * time.Hour),
		})
	}
	return inv
}

func TestTemplateQueryBindsAsSq(t *testing.T) {
	s := newTestServer(t, WithInventory(manyTemplatesInventory(60)))
	count := func(q url.Values) int {
		t.Helper()
		var ts []map[string]any
		do(t, s, call{method: "GET", path: "/Templates?" + q.Encode()}).decode(t, &ts)
		return len(ts)
	}
	total := len(DefaultInventory().Templates) + 60
	tests := []struct {
		name string
		q    url.Values
		want int
	}{
		{"no paging named: default page of 50", url.Values{}, 50},
		{"pq prefix is not the Templates object: ignored", url.Values{"pq.returnLimit": {"1000"}}, 50},
		{"sq prefix binds", url.Values{"sq.returnLimit": {"1000"}}, total},
		{"un-prefixed binds", url.Values{"ReturnLimit": {"1000"}}, total},
		{"un-prefixed ignored next to sq", url.Values{"sq.pageReturned": {"1"}, "ReturnLimit": {"1000"}}, 50},
		{"sq second page", url.Values{"sq.pageReturned": {"2"}, "sq.returnLimit": {"50"}}, total - 50},
	}
	for _, tt := range tests {
		if got := count(tt.q); got != tt.want {
			t.Errorf("%s: %d templates, want %d", tt.name, got, tt.want)
		}
	}
}

func TestCertificateAuthorityQueryBindsAsPq(t *testing.T) {
	s := newTestServer(t)
	var cas []map[string]any
	do(t, s, call{method: "GET", path: "/CertificateAuthority?" + url.Values{"sq.queryString": {`LogicalName -eq "` + ECCALogicalName + `"`}}.Encode()}).decode(t, &cas)
	if len(cas) != 2 {
		t.Fatalf("sq.queryString on /CertificateAuthority should be ignored, got %d CAs", len(cas))
	}
	do(t, s, call{method: "GET", path: "/CertificateAuthority?" + url.Values{"pq.queryString": {`LogicalName -eq "` + ECCALogicalName + `"`}}.Encode()}).decode(t, &cas)
	if len(cas) != 1 {
		t.Fatalf("pq.queryString on /CertificateAuthority should filter, got %d CAs", len(cas))
	}
}

func TestPlusInQueryOnCommand10(t *testing.T) {
	for _, tt := range []struct {
		profile Profile
		want    int // CAs matching LogicalName -eq "<EC CA>" sent with "+" for spaces
	}{{Profile10, 0}, {Profile25, 1}} {
		s := newTestServer(t, WithProfile(tt.profile))
		pql := `LogicalName -eq "` + ECCALogicalName + `"`
		var cas []map[string]any
		r := do(t, s, call{method: "GET", path: "/CertificateAuthority?" + url.Values{"pq.queryString": {pql}}.Encode()})
		if tt.want == 0 {
			if r.status != 400 {
				t.Errorf("profile %d: PQL with + for spaces answered %d, want 400 (unparseable query)", tt.profile, r.status)
			}
		} else {
			r.decode(t, &cas)
			if len(cas) != tt.want {
				t.Errorf("profile %d: %d CAs, want %d", tt.profile, len(cas), tt.want)
			}
		}
		// %20 works everywhere.
		encoded := strings.ReplaceAll(url.Values{"pq.queryString": {pql}}.Encode(), "+", "%20")
		do(t, s, call{method: "GET", path: "/CertificateAuthority?" + encoded}).decode(t, &cas)
		if len(cas) != 1 {
			t.Errorf("profile %d: PQL with %%20 found %d CAs, want 1", tt.profile, len(cas))
		}
	}
}
