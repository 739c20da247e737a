package commandtest

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// benchGet issues GET requests with Basic auth in parallel and fails on any non-200 answer.
func benchGet(b *testing.B, s *Server, target string) {
	b.Helper()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := http.NewRequest("GET", target, nil)
			if err != nil {
				b.Error(err)
				return
			}
			req.SetBasicAuth(DefaultUsername, DefaultPassword)
			req.Header.Set("x-keyfactor-requested-with", "APIClient")
			resp, err := s.Client().Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func BenchmarkStatusEndpoints(b *testing.B) {
	s := newTestServer(b)
	benchGet(b, s, s.APIURL()+"/Status/Endpoints")
}

// BenchmarkSearchBySerial looks one certificate up by serial in an inventory of 500.
func BenchmarkSearchBySerial(b *testing.B) {
	s := newTestServer(b)
	csr := makeCSR(b, nil, "bench.example.com")
	var last int
	for i := 0; i < 500; i++ {
		id, err := tryEnroll(s, csr)
		if err != nil {
			b.Fatal(err)
		}
		last = id
	}
	s.store.mu.Lock()
	serial := s.store.certs[last].serialHex
	s.store.mu.Unlock()
	q := url.Values{"pq.queryString": {fmt.Sprintf("SerialNumber -eq %q", serial)}, "pq.includeRevoked": {"true"}, "pq.includeExpired": {"true"}}
	benchGet(b, s, s.APIURL()+"/Certificates?"+q.Encode())
}
