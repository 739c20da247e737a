package commandtest

import (
	"net/http"
	"strings"
	"testing"
)

// TestProfiles checks every version-dependent behaviour for each profile.
func TestProfiles(t *testing.T) {
	tests := []struct {
		profile        Profile
		version        string
		bearer         bool
		revokeStatus   int
		removeReason   int
		patterns       bool
		workflowFields bool
	}{
		{Profile10, "10.5.0.0", false, http.StatusOK, 7, false, false},
		{Profile11, "11.6.0.0", true, http.StatusOK, 7, false, false},
		{Profile12, "12.5.0.0", true, http.StatusOK, 7, false, false},
		{Profile24, "24.4.0.0", true, http.StatusOK, 7, false, false},
		{Profile25, "25.1.1.0", true, http.StatusOK, 8, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			s := newTestServer(t, WithProfile(tt.profile))
			r := do(t, s, call{method: "GET", path: "/Status/Endpoints", bearer: DefaultStaticToken})
			if (r.status == 200) != tt.bearer || r.header.Get("x-keyfactor-product-version") != tt.version {
				t.Fatalf("bearer: %d, version %q", r.status, r.header.Get("x-keyfactor-product-version"))
			}
			r, out := enroll(t, s, map[string]any{})
			if r.status != 200 {
				t.Fatalf("enroll: %d %s", r.status, r.body)
			}
			if hasWF := strings.Contains(string(r.body), "WorkflowInstanceId"); hasWF != tt.workflowFields {
				t.Fatalf("WorkflowInstanceId present = %v", hasWF)
			}
			id := out.CertificateInformation.KeyfactorID
			r = do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)})
			if hasPattern := strings.Contains(string(r.body), "EnrollmentPatternId"); hasPattern != tt.patterns {
				t.Fatalf("EnrollmentPatternId in model = %v", hasPattern)
			}
			if r := do(t, s, call{method: "GET", path: "/EnrollmentPatterns"}); (r.status == 200) != tt.patterns {
				t.Fatalf("EnrollmentPatterns: %d", r.status)
			}
			other := 15 - tt.removeReason // the other profile family's "remove from CRL" code
			if r := do(t, s, call{method: "POST", path: "/Certificates/Revoke", body: map[string]any{"CertificateIds": []int{id}, "Reason": other, "Comment": "c"}}); r.status != 400 {
				t.Fatalf("reason %d accepted: %d", other, r.status)
			}
			r = do(t, s, call{method: "POST", path: "/Certificates/Revoke", body: map[string]any{"CertificateIds": []int{id}, "Reason": 6, "Comment": "hold"}})
			if r.status != tt.revokeStatus {
				t.Fatalf("revoke: %d", r.status)
			}
			r = do(t, s, call{method: "POST", path: "/Certificates/Revoke", body: map[string]any{"CertificateIds": []int{id}, "Reason": tt.removeReason, "Comment": "release"}})
			if r.status != tt.revokeStatus {
				t.Fatalf("release with %d: %d %s", tt.removeReason, r.status, r.body)
			}
		})
	}
}

func TestParseProfile(t *testing.T) {
	for _, in := range []string{"10", "11", "12", "24", "25"} {
		p, err := ParseProfile(in)
		if err != nil || itoa(int(p)) != in {
			t.Fatalf("%s: %v %v", in, p, err)
		}
	}
	for _, in := range []string{"", "9", "25.1", "v25"} {
		if _, err := ParseProfile(in); err == nil {
			t.Fatalf("%q accepted", in)
		}
	}
	if _, err := Start(false, WithProfile(Profile(13))); err == nil {
		t.Fatal("Start accepted profile 13")
	}
}
