package commandtest

import (
	"net/url"
	"strings"
	"testing"
)

func TestDiscovery(t *testing.T) {
	s := newTestServer(t)
	t.Run("certificate authorities", func(t *testing.T) {
		var cas []struct {
			ID                     int `json:"Id"`
			LogicalName, HostName  string
			AllowedEnrollmentTypes int
			ExplicitPassword       *struct{}
		}
		do(t, s, call{method: "GET", path: "/CertificateAuthority"}).decode(t, &cas)
		if len(cas) != 2 || cas[0].LogicalName != DefaultCALogicalName || cas[0].HostName != DefaultCAHost ||
			cas[1].LogicalName != ECCALogicalName || cas[0].AllowedEnrollmentTypes&EnrollmentTypeCSR == 0 || cas[0].ExplicitPassword != nil {
			t.Fatalf("CAs %+v", cas)
		}
		do(t, s, call{method: "GET", path: "/CertificateAuthority?" + url.Values{"pq.queryString": {`LogicalName -eq "` + ECCALogicalName + `"`}}.Encode()}).decode(t, &cas)
		if len(cas) != 1 || cas[0].ID != 2 {
			t.Fatalf("filtered CAs %+v", cas)
		}
		if r := do(t, s, call{method: "GET", path: "/CertificateAuthority/2"}); r.status != 200 {
			t.Fatalf("get CA: %d", r.status)
		}
		if r := do(t, s, call{method: "GET", path: "/CertificateAuthority/9"}); r.status != 404 {
			t.Fatalf("unknown CA: %d", r.status)
		}
	})
	t.Run("templates", func(t *testing.T) {
		var ts []struct {
			ID                     int `json:"Id"`
			CommonName             string
			TemplateName           string
			AllowedEnrollmentTypes int
			RequiresApproval       bool
		}
		do(t, s, call{method: "GET", path: "/Templates"}).decode(t, &ts)
		byName := map[string]int{}
		for _, tm := range ts {
			byName[tm.CommonName] = tm.AllowedEnrollmentTypes
			if tm.CommonName == ApprovalTemplate && !tm.RequiresApproval {
				t.Fatal("approval template does not require approval")
			}
		}
		if len(ts) != 4 || byName[PFXOnlyTemplate] != EnrollmentTypePFX || byName[DefaultTemplate]&EnrollmentTypeCSR == 0 || byName[ShortLivedTemplate]&EnrollmentTypeCSR == 0 {
			t.Fatalf("templates %+v", ts)
		}
		r := do(t, s, call{method: "GET", path: "/Templates/1"})
		if r.status != 200 || !strings.Contains(string(r.body), `"MetadataFields":[`) {
			t.Fatalf("template detail: %d %s", r.status, r.body)
		}
		if r := do(t, s, call{method: "GET", path: "/Templates?QueryString=" + url.QueryEscape(`Bogus -eq 1`)}); r.status != 400 {
			t.Fatalf("bad template query: %d", r.status)
		}
	})
	t.Run("metadata fields", func(t *testing.T) {
		var ms []struct {
			ID         int `json:"Id"`
			Name       string
			DataType   int
			Enrollment int
			Options    *string
		}
		do(t, s, call{method: "GET", path: "/MetadataFields"}).decode(t, &ms)
		if len(ms) != 4 || ms[0].Name != MetadataOwner || ms[2].DataType != 2 || ms[3].DataType != 5 || *ms[3].Options != "dev,test,prod" || ms[0].Enrollment != 0 {
			t.Fatalf("metadata %+v", ms)
		}
		var one struct{ Name string }
		do(t, s, call{method: "GET", path: "/MetadataFields/costcenter"}).decode(t, &one)
		if one.Name != MetadataCostCenter {
			t.Fatalf("by name: %+v", one)
		}
		do(t, s, call{method: "GET", path: "/MetadataFields/1"}).decode(t, &one)
		if one.Name != MetadataOwner {
			t.Fatalf("by id: %+v", one)
		}
		if r := do(t, s, call{method: "GET", path: "/MetadataFields/Nope"}); r.status != 404 {
			t.Fatalf("unknown field: %d", r.status)
		}
		do(t, s, call{method: "GET", path: "/MetadataFields?pq.queryString=" + url.QueryEscape(`Name -eq "Environment"`)}).decode(t, &ms)
		if len(ms) != 1 {
			t.Fatalf("filtered metadata %+v", ms)
		}
	})
	t.Run("CSR context", func(t *testing.T) {
		var ctx struct {
			Templates []struct {
				Name string
				CAs  []struct{ Name string }
			}
			StandaloneCAs []struct{}
		}
		do(t, s, call{method: "GET", path: "/Enrollment/CSR/Context/My"}).decode(t, &ctx)
		var names []string
		for _, tm := range ctx.Templates {
			names = append(names, tm.Name)
		}
		if strings.Join(names, ",") != DefaultTemplate+","+ApprovalTemplate+","+ShortLivedTemplate || ctx.StandaloneCAs == nil {
			t.Fatalf("context templates %v", names)
		}
		if ca := ctx.Templates[0].CAs[0].Name; ca != DefaultCAHost+`\`+DefaultCALogicalName {
			t.Fatalf("context CA name %q", ca)
		}
		do(t, s, call{method: "GET", path: "/Enrollment/CSR/Context/My", user: DefaultDomain + `\` + ReadOnlyUsername, pass: ReadOnlyPassword}).decode(t, &ctx)
		if len(ctx.Templates) != 0 {
			t.Fatal("a user who may not enroll sees templates")
		}
	})
}

func TestEnrollmentPatternsProfile25(t *testing.T) {
	inv := DefaultInventory()
	inv.EnrollmentPatterns = []InventoryEnrollmentPattern{
		{Name: "Web EC", Template: DefaultTemplate, CAs: []string{ECCALogicalName}},
		{Name: "Web any", Template: DefaultTemplate},
	}
	s := newTestServer(t, WithInventory(inv))
	var ps []struct {
		ID                     int `json:"Id"`
		Name                   string
		Template               struct{ CommonName string }
		CertificateAuthorities []struct{ LogicalName string }
	}
	do(t, s, call{method: "GET", path: "/EnrollmentPatterns?" + url.Values{"QueryString": {`Name -eq "Web EC"`}}.Encode()}).decode(t, &ps)
	if len(ps) != 1 || ps[0].Template.CommonName != DefaultTemplate || len(ps[0].CertificateAuthorities) != 1 {
		t.Fatalf("patterns %+v", ps)
	}
	// The pattern picks the template and the CA.
	chain, id := enrollOK(t, s, map[string]any{"Template": "", "CertificateAuthority": "", "EnrollmentPatternId": ps[0].ID})
	if chain[0].Issuer.CommonName != ECCALogicalName {
		t.Fatalf("issuer %s", chain[0].Issuer.CommonName)
	}
	var m certSummary
	do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)}).decode(t, &m)
	if m.EnrollmentPatternID == nil || *m.EnrollmentPatternID != ps[0].ID {
		t.Fatalf("EnrollmentPatternId %v", m.EnrollmentPatternID)
	}
	tests := []struct {
		name string
		body map[string]any
		code string
	}{
		{"unknown pattern", map[string]any{"EnrollmentPatternId": 99, "Template": ""}, codeUnknownTemplate},
		{"CA outside the pattern", map[string]any{"EnrollmentPatternId": ps[0].ID, "Template": ""}, codeUnknownCA},
		{"template disagrees", map[string]any{"EnrollmentPatternId": ps[0].ID, "Template": ShortLivedTemplate, "CertificateAuthority": ""}, codeUnknownTemplate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := enroll(t, s, tt.body)
			if r.status != 400 || r.apiError(t).ErrorCode != tt.code {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	if r := do(t, s, call{method: "GET", path: "/EnrollmentPatterns/1"}); r.status != 200 {
		t.Fatalf("pattern by id: %d", r.status)
	}
	if r := do(t, s, call{method: "GET", path: "/EnrollmentPatterns/77"}); r.status != 404 {
		t.Fatalf("unknown pattern by id: %d", r.status)
	}
}
