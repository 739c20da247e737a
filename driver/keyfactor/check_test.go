package keyfactor

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// CheckConnection against answers the simulator does not give: an older Command without the
// enrollment context endpoint, a CA with CSR enrollment switched off, unreadable lists.
func TestCheckConnectionFallbacks(t *testing.T) {
	templates := `[{"Id":1,"CommonName":"WebServer","TemplateName":"Web Server","AllowedEnrollmentTypes":3,"RequiresApproval":false}]`
	cases := []struct {
		name     string
		answers  map[string]func(w http.ResponseWriter)
		wantErr  string
		wantWarn []string
	}{
		{"no context endpoint", map[string]func(http.ResponseWriter){
			"/Enrollment/CSR/Context/My": func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
			"/CertificateAuthority": func(w http.ResponseWriter) {
				_, _ = io.WriteString(w, `[{"Id":1,"LogicalName":"Issuing","HostName":"ca.example.com","AllowedEnrollmentTypes":3}]`)
			},
		}, "", []string{"could not read the enrollment context"}},
		{"CA without CSR enrollment", map[string]func(http.ResponseWriter){
			"/CertificateAuthority": func(w http.ResponseWriter) {
				_, _ = io.WriteString(w, `[{"Id":1,"LogicalName":"Issuing","HostName":"ca.example.com","AllowedEnrollmentTypes":1}]`)
			},
		}, "does not allow CSR enrollment", nil},
		{"lists forbidden", map[string]func(http.ResponseWriter){
			"/Templates":                 func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) },
			"/CertificateAuthority":      func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) },
			"/Enrollment/CSR/Context/My": func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) },
		}, "", []string{"could not list templates", "could not list CAs", "could not read the enrollment context"}},
		{"context lists the template on another CA", map[string]func(http.ResponseWriter){
			"/Enrollment/CSR/Context/My": func(w http.ResponseWriter) {
				_, _ = io.WriteString(w, `{"Templates":[{"Name":"WebServer","CAs":[{"Name":"ca.example.com\\Other"}]}],"StandaloneCAs":null}`)
			},
		}, `not allowed for template "WebServer"`, nil},
		{"status endpoint down", map[string]func(http.ResponseWriter){
			"/Status/Endpoints": func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
		}, "connection check failed", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
				path := strings.TrimPrefix(r.URL.Path, "/KeyfactorAPI")
				if answer, ok := tc.answers[path]; ok {
					answer(w)
					return
				}
				switch path {
				case "/Status/Endpoints":
					_, _ = io.WriteString(w, `["GET /Status/Endpoints"]`)
				case "/Templates":
					_, _ = io.WriteString(w, templates)
				case "/CertificateAuthority":
					_, _ = io.WriteString(w, `[{"Id":1,"LogicalName":"Issuing","HostName":"ca.example.com","AllowedEnrollmentTypes":null}]`)
				case "/Enrollment/CSR/Context/My":
					_, _ = io.WriteString(w, `{"Templates":[{"Name":"WebServer","CAs":[{"Name":"ca.example.com\\Issuing"}]}]}`)
				default:
					t.Errorf("unexpected %s", path)
				}
			}, nil)
			warnings, err := d.CheckConnection(context.Background())
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			joined := strings.Join(warnings, "\n")
			for _, w := range tc.wantWarn {
				if !strings.Contains(joined, w) {
					t.Errorf("warnings %q lack %q", joined, w)
				}
			}
		})
	}
}
