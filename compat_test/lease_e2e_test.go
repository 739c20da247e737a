package compattest

import (
	"context"
	"encoding/json"
	"testing"
)

// TestLeaseRevocationRevokesInCommand: with generate_lease=true the issue answer carries a lease;
// revoking that lease through Vault's lease manager revokes the certificate in Command, and the
// certificate record shows the revocation.
func TestLeaseRevocationRevokesInCommand(t *testing.T) {
	env := startRealVault(t)
	if err := env.EnablePlugin("pki"); err != nil {
		t.Fatal(err)
	}
	if err := env.ConfigureBasic("pki"); err != nil {
		t.Fatal(err)
	}
	mustVault(t, env, "write", "pki/roles/leased", "allowed_domains=example.com", "allow_subdomains=true", "generate_lease=true")

	var issued vaultSecret
	mustVaultJSON(t, env, &issued, "write", "pki/issue/leased", "common_name=leased.example.com")
	if issued.LeaseID == "" {
		t.Fatal("issue under a generate_lease role answered no lease_id")
	}
	serial := issued.str(t, "serial_number")

	mustVault(t, env, "lease", "revoke", "-sync", issued.LeaseID)

	var read vaultSecret
	mustVaultJSON(t, env, &read, "read", "pki/cert/"+serial)
	var revokedAt int64
	if err := json.Unmarshal(read.Data["revocation_time"], &revokedAt); err != nil || revokedAt == 0 {
		t.Fatalf("after the lease revocation cert/%s revocation_time = %s, want a time", serial, read.Data["revocation_time"])
	}
	certs, err := env.CommandCertificatesByCN(context.Background(), "leased.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 1 || certs[0].CertState != commandCertStateRevoked {
		t.Fatalf("Command's inventory for leased.example.com: %+v, want one certificate in CertState 2 (revoked)", certs)
	}
}
