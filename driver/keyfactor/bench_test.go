package keyfactor

import (
	"context"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// BenchmarkSignOAuth measures one signing against the simulator over a reused connection and
// token (run with: go test -run '^$' -bench SignOAuth ./driver/keyfactor/).
func BenchmarkSignOAuth(b *testing.B) {
	srv := commandtest.NewTLSServer(commandtest.WithProfile(commandtest.Profile25))
	defer srv.Close()
	d, _, err := NewProvider().NewDriver(configJSON(simConf(srv, authKindOAuth, nil, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer d.(*keyfactorDriver).Close()
	req := signRequest(b, "bench.example.com")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Sign(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
