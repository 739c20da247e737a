package commandtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	s := newTestServer(t)
	status := func(c call) (int, string) {
		t.Helper()
		r := do(t, s, c)
		return r.status, string(r.body)
	}
	get := call{method: "GET", path: "/Status/Endpoints"}

	s.InjectFault(Fault{Endpoint: "GET /Status/Endpoints", Times: 2, Status: 503, Body: `{"ErrorCode":"0xA0000009","Message":"down"}`})
	s.InjectFault(Fault{Endpoint: "get /status/endpoints", Times: 1, GarbageBody: true})
	for i, want := range []int{503, 503, 200, 200} {
		code, body := status(get)
		if code != want {
			t.Fatalf("call %d: %d, want %d", i, code, want)
		}
		if i == 2 && json.Valid([]byte(body)) {
			t.Fatalf("garbage body is JSON: %q", body)
		}
	}

	// A fault for another endpoint leaves this one alone; "" matches every API request.
	s.InjectFault(Fault{Endpoint: "POST /Enrollment/CSR", Status: 500})
	if code, _ := status(get); code != 200 {
		t.Fatalf("unrelated fault applied: %d", code)
	}
	s.ClearFaults()
	s.InjectFault(Fault{Status: 502})
	if code, _ := status(call{method: "GET", path: "/Certificates"}); code != 502 {
		t.Fatalf("catch-all fault: %d", code)
	}
	s.ClearFaults()

	// Latency delays but still answers normally.
	s.InjectFault(Fault{Latency: 20 * time.Millisecond, Times: 1})
	if code, _ := status(get); code != 200 {
		t.Fatalf("latency fault: %d", code)
	}

	// A status net/http cannot send becomes 500 rather than a panic.
	s.InjectFault(Fault{Times: 1, Status: 42})
	if code, _ := status(get); code != 500 {
		t.Fatalf("invalid fault status: %d", code)
	}

	// A dropped connection gives the client a transport error.
	expectDroppedEnrollment(t, s)
	if code, _ := status(get); code != 200 {
		t.Fatalf("after drop: %d", code)
	}
}

func TestCountersAndConnections(t *testing.T) {
	s := newTestServer(t)
	s.InjectFault(Fault{Endpoint: "GET /Certificates/{id}", Times: 1, Status: 500})
	_, id := enrollOK(t, s, map[string]any{})
	do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)})
	do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)})
	do(t, s, call{method: "GET", path: "/No/7"})
	c := s.Counters()
	if c.Requests["POST /Enrollment/CSR"] != 1 || c.Requests["GET /Certificates/{id}"] != 2 || c.Requests["GET /No/{id}"] != 1 || c.Enrollments != 1 {
		t.Fatalf("counters %+v", c)
	}
	if c.Connections != 1 {
		t.Fatalf("Connections = %d, want 1 (keep-alive client)", c.Connections)
	}
	s.Client().CloseIdleConnections()
	do(t, s, call{method: "GET", path: "/Status/Endpoints"})
	if got := s.Counters().Connections; got != 2 {
		t.Fatalf("Connections after reconnect = %d", got)
	}
	s.ResetCounters()
	if c := s.Counters(); len(c.Requests) != 0 || c.Enrollments != 0 || c.Connections != 0 {
		t.Fatalf("after reset %+v", c)
	}
	// A snapshot is a copy.
	snap := s.Counters()
	snap.Requests["x"] = 9
	if s.Counters().Requests["x"] != 0 {
		t.Fatal("snapshot shares its map")
	}
}

func TestAdminEndpoint(t *testing.T) {
	s := newTestServer(t)
	admin := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, s.AdminURL()+path, strings.NewReader(body))
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.Bytes()
	}
	if code, _ := admin("POST", "/faults", `{"Endpoint":"GET /Status/Endpoints","Times":1,"Status":429,"Latency":"5ms"}`); code != 200 {
		t.Fatalf("inject: %d", code)
	}
	if r := do(t, s, call{method: "GET", path: "/Status/Endpoints"}); r.status != 429 {
		t.Fatalf("injected over HTTP: %d", r.status)
	}
	admin("POST", "/faults", `{"Status":500}`)
	admin("DELETE", "/faults", "")
	if r := do(t, s, call{method: "GET", path: "/Status/Endpoints"}); r.status != 200 {
		t.Fatalf("after DELETE /faults: %d", r.status)
	}
	code, body := admin("GET", "/counters", "")
	var c Counters
	if err := json.Unmarshal(body, &c); err != nil || code != 200 || c.Requests["GET /Status/Endpoints"] != 2 {
		t.Fatalf("counters %d %s", code, body)
	}
	admin("POST", "/counters/reset", "")
	if len(s.Counters().Requests) != 0 {
		t.Fatal("reset over HTTP did nothing")
	}

	// Token expiry.
	status, out := tokenRequest(t, s, map[string][]string{"grant_type": {"client_credentials"}}, DefaultClientID, DefaultClientSecret)
	if status != 200 {
		t.Fatal(status)
	}
	admin("POST", "/tokens/expire", "")
	if r := do(t, s, call{method: "GET", path: "/Status/Endpoints", bearer: out["access_token"].(string)}); r.status != 401 {
		t.Fatalf("token survived expiry: %d", r.status)
	}

	// Workflow.
	_, e1 := enroll(t, s, map[string]any{"Template": ApprovalTemplate})
	_, e2 := enroll(t, s, map[string]any{"Template": ApprovalTemplate})
	if code, body := admin("POST", "/requests/"+itoa(e1.CertificateInformation.KeyfactorRequestID)+"/approve", ""); code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	if code, body := admin("POST", "/requests/"+itoa(e2.CertificateInformation.KeyfactorRequestID)+"/deny", `{"Comment":"no"}`); code != 200 {
		t.Fatalf("deny: %d %s", code, body)
	}
	for _, bad := range []struct{ method, path, body string }{
		{"POST", "/requests/" + itoa(e1.CertificateInformation.KeyfactorRequestID) + "/approve", ""},
		{"POST", "/requests/abc/approve", ""},
		{"POST", "/faults", "{"},
		{"POST", "/faults", `{"Status":42}`},
		{"GET", "/nothing", ""},
	} {
		if code, _ := admin(bad.method, bad.path, bad.body); code < 400 {
			t.Fatalf("%s %s answered %d", bad.method, bad.path, code)
		}
	}
}

// tryEnroll enrolls without touching testing.T, so goroutines can use it.
func tryEnroll(s *Server, csr string) (int, error) {
	body, _ := json.Marshal(map[string]any{"CSR": csr, "CertificateAuthority": DefaultCALogicalName, "Template": DefaultTemplate})
	req, err := http.NewRequest("POST", s.APIURL()+"/Enrollment/CSR", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(DefaultUsername, DefaultPassword)
	req.Header.Set("x-keyfactor-requested-with", "APIClient")
	req.Header.Set("x-certificateformat", "PEM")
	resp, err := s.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out enrollAnswer
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, err
	}
	if out.CertificateInformation.KeyfactorID == 0 {
		return 0, fmt.Errorf("status %d, disposition %q", resp.StatusCode, out.CertificateInformation.RequestDisposition)
	}
	return out.CertificateInformation.KeyfactorID, nil
}

func TestConcurrentEnrollAndRevoke(t *testing.T) {
	s := newTestServer(t)
	csr := makeCSR(t, nil, "c.example.com")
	var wg sync.WaitGroup
	ids := make(chan int, 40)
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := tryEnroll(s, csr)
			if err != nil {
				errs <- err
				return
			}
			ids <- id
			_, _ = s.CRL(DefaultCALogicalName)
		}()
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %d issued twice", id)
		}
		seen[id] = true
		if err := s.RevokeInConsole(id, 0); err != nil {
			t.Fatal(err)
		}
	}
	der, _ := s.CRL(DefaultCALogicalName)
	crl := mustParseCRL(t, der)
	if len(seen) != 40 || len(crl.RevokedCertificateEntries) != 40 {
		t.Fatalf("issued %d, CRL lists %d, want 40", len(seen), len(crl.RevokedCertificateEntries))
	}
}

func BenchmarkEnrollCSR(b *testing.B) {
	s := newTestServer(b)
	csr := makeCSR(b, nil, "bench.example.com", "bench.example.com")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := tryEnroll(s, csr); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestFaultDurationsFromJSON: the admin endpoint takes both latencies as nanoseconds or as Go
// duration strings.
func TestFaultDurationsFromJSON(t *testing.T) {
	var f Fault
	if err := json.Unmarshal([]byte(`{"Endpoint":"POST /Enrollment/CSR","Latency":5,"AnswerLatency":"1.5s"}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.Latency != 5 || f.AnswerLatency != 1500*time.Millisecond || f.Endpoint != "POST /Enrollment/CSR" {
		t.Fatalf("decoded %+v", f)
	}
	if err := json.Unmarshal([]byte(`{"AnswerLatency":"soon"}`), &f); err == nil || !strings.Contains(err.Error(), "AnswerLatency") {
		t.Fatalf("bad AnswerLatency: %v", err)
	}
}
