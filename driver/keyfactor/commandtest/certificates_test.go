package commandtest

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// certSummary is the part of the certificate model the tests look at.
type certSummary struct {
	ID                     int `json:"Id"`
	SerialNumber           string
	Thumbprint             string
	IssuedCN               *string
	IssuerDN               *string
	CertState              int
	CertRequestID          *int `json:"CertRequestId"`
	RevocationEffDate      *string
	RevocationReason       *int
	RevocationComment      *string
	Metadata               map[string]string
	ContentBytes           string
	TemplateName           *string
	CertificateAuthorityID int `json:"CertificateAuthorityId"`
	KeyTypeString          string
	SubjectAltNameElements []struct {
		Value string
		Type  int
	}
	CRLDistributionPoints []struct{ URL string }
	EnrollmentPatternID   *int `json:"EnrollmentPatternId"`
}

func search(t *testing.T, s *Server, params url.Values) (reply, []certSummary) {
	t.Helper()
	r := do(t, s, call{method: "GET", path: "/Certificates?" + params.Encode()})
	var out []certSummary
	if r.status == 200 {
		r.decode(t, &out)
	}
	return r, out
}

func ids(certs []certSummary) []int {
	var out []int
	for _, c := range certs {
		out = append(out, c.ID)
	}
	return out
}

// populated returns a server with 3 CA certificates (ids 1-3) and leaves: a, b, c (EC CA),
// d revoked, and e expired.
func populated(t *testing.T) (*Server, map[string]int) {
	inv := DefaultInventory()
	inv.Templates = append(inv.Templates, InventoryTemplate{CommonName: "Instant", AllowedEnrollmentTypes: EnrollmentTypeCSR, Validity: 1})
	s := newTestServer(t, WithInventory(inv))
	got := map[string]int{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		body := map[string]any{"CSR": makeCSR(t, nil, n+".example.com"), "Metadata": map[string]any{"Owner": "team-" + n}}
		switch n {
		case "c":
			body["CertificateAuthority"] = ECCALogicalName
		case "e":
			body["Template"] = "Instant"
		}
		_, id := enrollOK(t, s, body)
		got[n] = id
	}
	if err := s.RevokeInConsole(got["d"], 5); err != nil {
		t.Fatal(err)
	}
	return s, got
}

func TestSearchCertificates(t *testing.T) {
	s, id := populated(t)
	var one certSummary
	do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id["a"])}).decode(t, &one)

	tests := []struct {
		name   string
		params url.Values
		want   []int
	}{
		{"defaults exclude revoked and expired", url.Values{}, []int{1, 2, 3, id["a"], id["b"], id["c"]}},
		{"include revoked", url.Values{"IncludeRevoked": {"true"}}, []int{1, 2, 3, id["a"], id["b"], id["c"], id["d"]}},
		{"include both", url.Values{"pq.includeRevoked": {"TRUE"}, "pq.includeExpired": {"true"}}, []int{1, 2, 3, id["a"], id["b"], id["c"], id["d"], id["e"]}},
		{"issued CN with pq prefix", url.Values{"pq.queryString": {`IssuedCN -eq "b.example.com"`}}, []int{id["b"]}},
		{"lower-case unprefixed", url.Values{"querystring": {`issuedcn -startswith "a."`}}, []int{id["a"]}},
		{"serial number", url.Values{"QueryString": {`SerialNumber -eq "` + strings.ToLower(one.SerialNumber) + `"`}}, []int{id["a"]}},
		{"thumbprint", url.Values{"QueryString": {`Thumbprint -eq "` + one.Thumbprint + `"`}}, []int{id["a"]}},
		{"issuer DN as GET spells it", url.Values{"QueryString": {`IssuerDN -eq "E=pki@kfpki.test,CN=KFPKI-EC-Issuing-CA,O=KFPKI Test"`}}, []int{id["c"]}},
		{"issuer DN with spaces", url.Values{"QueryString": {`IssuerDN -eq "CN=KFPKI-Issuing-CA, DC=kfpki, DC=test"`}}, []int{id["a"], id["b"]}},
		{"CA logical name", url.Values{"QueryString": {`CA -eq "` + ECCALogicalName + `"`}}, []int{id["c"]}},
		{"CA host and logical", url.Values{"QueryString": {`CA -eq "ca.kfpki.test\KFPKI-Issuing-CA" AND CertState -eq 1`}}, []int{id["a"], id["b"]}},
		{"request id", url.Values{"QueryString": {`CertRequestId -eq ` + itoa(*one.CertRequestID)}}, []int{id["a"]}},
		{"CA certificates", url.Values{"QueryString": {`CertState -eq 6`}}, []int{2, 3}},
		{"root", url.Values{"QueryString": {`CertState -eq "7"`}}, []int{1}},
		{"revoked needs IncludeRevoked", url.Values{"QueryString": {`CertState -eq 2`}}, nil},
		{"revoked by date", url.Values{"QueryString": {`RevocationEffDate -ne NULL`}, "IncludeRevoked": {"true"}}, []int{id["d"]}},
		{"expired by NotAfter", url.Values{"QueryString": {`NotAfter -lt "2099-01-01" AND CertState -eq 1`}, "IncludeExpired": {"true"}}, []int{id["a"], id["b"], id["c"], id["e"]}},
		{"metadata field", url.Values{"QueryString": {`Owner -eq "team-b"`}}, []int{id["b"]}},
		{"OR with parentheses", url.Values{"QueryString": {`(IssuedCN -eq "a.example.com" OR IssuedCN -eq "c.example.com") AND CertState -eq 1`}}, []int{id["a"], id["c"]}},
		{"sort descending", url.Values{"SortField": {"IssuedCN"}, "SortAscending": {"1"}, "QueryString": {`CertState -eq 1`}}, []int{id["c"], id["b"], id["a"]}},
		{"sort field any case", url.Values{"sortfield": {"certid"}, "QueryString": {`CertState -eq 1`}}, []int{id["a"], id["b"], id["c"]}},
		{"page 2 of size 2", url.Values{"PageReturned": {"2"}, "ReturnLimit": {"2"}}, []int{3, id["a"]}},
		{"last partial page", url.Values{"pq.pageReturned": {"2"}, "pq.returnLimit": {"5"}, "pq.IncludeRevoked": {"true"}, "pq.IncludeExpired": {"true"}}, []int{id["c"], id["d"], id["e"]}},
		{"page just past the end", url.Values{"pq.pageReturned": {"3"}, "pq.returnLimit": {"4"}, "pq.IncludeRevoked": {"true"}, "pq.IncludeExpired": {"true"}}, nil},
		{"un-prefixed names ignored once pq is used", url.Values{"pq.pageReturned": {"2"}, "pq.returnLimit": {"5"}, "IncludeRevoked": {"true"}, "IncludeExpired": {"true"}}, []int{id["c"]}},
		{"another object's prefix is ignored", url.Values{"sq.returnLimit": {"2"}, "QueryString": {`CertState -eq 1`}}, []int{id["a"], id["b"], id["c"]}},
		{"page past the end", url.Values{"PageReturned": {"99"}}, nil},
		{"exact last page", url.Values{"PageReturned": {"2"}, "ReturnLimit": {"3"}}, []int{id["a"], id["b"], id["c"]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, out := search(t, s, tt.params)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := ids(out); itoaJoin(got) != itoaJoin(tt.want) {
				t.Fatalf("ids %v, want %v", got, tt.want)
			}
			if strings.TrimSpace(string(r.body)) == "null" {
				t.Fatal("an empty result must be [] not null")
			}
		})
	}
}

func itoaJoin(v []int) string {
	var parts []string
	for _, n := range v {
		parts = append(parts, itoa(n))
	}
	return strings.Join(parts, ",")
}

func TestSearchDefaultPageSize(t *testing.T) {
	s := newTestServer(t)
	for i := 0; i < 52; i++ {
		enrollOK(t, s, map[string]any{})
	}
	_, out := search(t, s, url.Values{})
	if len(out) != defaultReturnLimit {
		t.Fatalf("default page has %d, want 50", len(out))
	}
	_, out = search(t, s, url.Values{"PageReturned": {"2"}})
	if len(out) != 55-50 {
		t.Fatalf("second page has %d, want 5", len(out))
	}
}

func TestSearchErrors(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name     string
		params   url.Values
		wantCode string
		wantMsg  string
	}{
		{"sort by Id", url.Values{"SortField": {"Id"}}, codeInvalidSortField, "Invalid sort field: Id."},
		{"sort by CertificateId", url.Values{"pq.sortField": {"CertificateId"}}, codeInvalidSortField, "Invalid sort field: CertificateId."},
		{"bad SortAscending", url.Values{"SortAscending": {"2"}}, codeInvalidRequest, "SortAscending"},
		{"bad query", url.Values{"QueryString": {`IssuedCN -eq`}}, codeInvalidQuery, "expected a value"},
		{"unknown field", url.Values{"QueryString": {`Colour -eq "red"`}}, codeInvalidQuery, "Colour"},
		{"state by name", url.Values{"QueryString": {`CertState -eq Revoked`}}, codeInvalidQuery, "Invalid CertState value: Revoked."},
		{"page zero", url.Values{"PageReturned": {"0"}}, codeInvalidPaging, "PageReturned"},
		{"negative limit", url.Values{"ReturnLimit": {"-1"}}, codeInvalidPaging, "ReturnLimit"},
		{"non-numeric page", url.Values{"pq.pageReturned": {"two"}}, codeInvalidPaging, "two"},
		{"bad bool", url.Values{"IncludeRevoked": {"yes"}}, codeInvalidRequest, "IncludeRevoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := search(t, s, tt.params)
			if r.status != 400 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if e := r.apiError(t); e.ErrorCode != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("error %+v, want %s %q", e, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestGetCertificate(t *testing.T) {
	s := newTestServer(t)
	chain, id := enrollOK(t, s, map[string]any{
		"Metadata": map[string]any{"AppCode": "A1"}, "SANs": map[string][]string{"dns": {"app.example.com"}, "ip": {"10.1.1.1"}}})
	var m certSummary
	r := do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)})
	r.decode(t, &m)
	der, _ := base64.StdEncoding.DecodeString(m.ContentBytes)
	if r.status != 200 || m.ID != id || !chain[0].Equal(mustParse(t, der)) || m.CertState != 1 || *m.IssuedCN != "app.example.com" {
		t.Fatalf("model %+v", m)
	}
	if len(m.Metadata) != 0 {
		t.Fatalf("metadata present without includeMetadata: %v", m.Metadata)
	}
	if m.RevocationEffDate != nil || m.TemplateName == nil || *m.TemplateName != "Web Server" || m.KeyTypeString != "ECC" || m.CertificateAuthorityID != 1 {
		t.Fatalf("model fields %+v", m)
	}
	if len(m.SubjectAltNameElements) != 2 || m.SubjectAltNameElements[0].Type != sanTypeDNS || m.SubjectAltNameElements[1].Type != sanTypeIP {
		t.Fatalf("SANs %+v", m.SubjectAltNameElements)
	}
	if len(m.CRLDistributionPoints) != 1 || m.CRLDistributionPoints[0].URL != s.CRLURL(DefaultCALogicalName) {
		t.Fatalf("CDPs %+v", m.CRLDistributionPoints)
	}
	if m.EnrollmentPatternID != nil {
		t.Fatal("no pattern was used")
	}
	if !strings.Contains(string(r.body), `"RevocationComment":null`) || !strings.Contains(string(r.body), `"EnrollmentPatternId":null`) {
		t.Fatalf("nullable fields must be null: %s", r.body)
	}
	do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id) + "?includeMetadata=true"}).decode(t, &m)
	if m.Metadata["AppCode"] != "A1" {
		t.Fatalf("metadata %v", m.Metadata)
	}
	if err := s.RevokeInConsole(id, 1); err != nil {
		t.Fatal(err)
	}
	do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)}).decode(t, &m)
	if m.CertState != 2 || m.RevocationEffDate == nil || *m.RevocationReason != 1 || m.RevocationComment == nil {
		t.Fatalf("revoked model %+v", m)
	}
	for _, bad := range []string{"999999", "abc"} {
		r := do(t, s, call{method: "GET", path: "/Certificates/" + bad})
		if r.status != 404 || r.apiError(t).ErrorCode != codeNotFound {
			t.Fatalf("GET /Certificates/%s: %d %s", bad, r.status, r.body)
		}
	}
}
