package compattest

import (
	"context"
	"encoding/json"
	"testing"
)

// TestOAuthAndTwoMountsThroughRealVault: one multiplexed plugin process serves two mounts with
// different configurations at once — Basic auth on one, OAuth2 client credentials (scope and
// audience sent, checked by the simulator) on the other — and the OAuth mount fetches one token
// for many issuances.
func TestOAuthAndTwoMountsThroughRealVault(t *testing.T) {
	env := startRealVault(t)
	root := simRoot(t, env)
	for _, mount := range []string{"kf-basic", "kf-oauth"} {
		if err := env.EnablePlugin(mount); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.ConfigureBasic("kf-basic"); err != nil {
		t.Fatal(err)
	}
	mustVault(t, env, "write", "kf-oauth/config",
		"url="+env.Sim.URL,
		"ca="+env.Sim.CA,
		"template="+env.Sim.Template,
		"client_id="+env.Sim.ClientID,
		"client_secret="+env.Sim.ClientSecret,
		"token_url="+env.Sim.TokenURL,
		"scopes=keyfactor-api",
		"audience="+env.Sim.Audience,
		"command_cert_path="+env.Sim.CABundle,
	)
	var conf vaultSecret
	mustVaultJSON(t, env, &conf, "read", "kf-oauth/config")
	if got := conf.str(t, "client_id"); got != env.Sim.ClientID {
		t.Errorf("config client_id = %q", got)
	}
	if _, shown := conf.Data["client_secret"]; shown && conf.str(t, "client_secret") == env.Sim.ClientSecret {
		t.Fatal("config read returned the client secret")
	}

	ctx := context.Background()
	before, err := env.SimCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const issues = 3
	for _, mount := range []string{"kf-basic", "kf-oauth"} {
		mustVault(t, env, "write", mount+"/roles/web", "allowed_domains=example.com", "allow_subdomains=true")
		for i := 0; i < issues; i++ {
			var issued vaultSecret
			mustVaultJSON(t, env, &issued, "write", mount+"/issue/web", "common_name=www.example.com")
			var chain []string
			if err := json.Unmarshal(issued.Data["ca_chain"], &chain); err != nil {
				t.Fatalf("%s: ca_chain: %v", mount, err)
			}
			verifyChain(t, parseCertPEM(t, issued.str(t, "certificate")), chain, root)
		}
	}
	after, err := env.SimCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.Enrollments - before.Enrollments; got != 2*issues {
		t.Errorf("Command saw %d enrollments, want %d", got, 2*issues)
	}
	// The config write's connection check may fetch the token; after that it is reused.
	if got := after.TokensIssued; got != 1 {
		t.Errorf("the OAuth mount requested %d tokens for %d issuances, want 1 reused token", got, issues)
	}

	// Reconfiguring one mount leaves the other untouched.
	mustVault(t, env, "delete", "kf-oauth/config")
	if _, err := env.Vault("write", "kf-oauth/issue/web", "common_name=www.example.com"); err == nil {
		t.Fatal("issue on a mount whose config was deleted succeeded")
	}
	mustVault(t, env, "write", "kf-basic/issue/web", "common_name=www.example.com")
}
