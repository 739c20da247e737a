package keyfactor

import (
	"encoding/json"
	"strings"
	"testing"
)

// The config entry Keyfactor's older plugin (v1.4.1) stored: every field it knew, empty ones as
// "", scopes null when never set, api_path "" when a user cleared it. After an in-place upgrade
// the driver builds from it unchanged.
func TestOlderPluginConfigLoads(t *testing.T) {
	cases := []struct {
		name   string
		stored string
		wantCA string
	}{
		{
			name: "basic auth, ca with the double backslash the older help text asked for",
			stored: `{"url":"https://command.example.com","api_path":"","username":"vault-svc","password":"Secret-Passw0rd",
				"domain":"KEYFACTOR","client_id":"","client_secret":"","token_url":"","access_token":"","skip_verify":false,
				"scopes":null,"audience":"","template":"WebServer","ca":"ca.example.com\\\\Issuing","command_cert_path":""}`,
			wantCA: `ca.example.com\Issuing`,
		},
		{
			name: "oauth with scopes and audience",
			stored: `{"url":"https://command.example.com","api_path":"KeyfactorAPI","username":"","password":"","domain":"",
				"client_id":"vault","client_secret":"s3cret","token_url":"https://idp.example.com/token","access_token":"",
				"skip_verify":false,"scopes":["openid","api"],"audience":"command","template":"WebServer","ca":"Issuing",
				"command_cert_path":""}`,
			wantCA: "Issuing",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var conf map[string]interface{}
			if err := json.Unmarshal([]byte(tc.stored), &conf); err != nil {
				t.Fatal(err)
			}
			if tc.wantCA == `ca.example.com\Issuing` && !strings.Contains(conf["ca"].(string), `\\`) {
				t.Fatalf("fixture: want a literal double backslash in ca, got %q", conf["ca"])
			}
			drv, warnings, err := NewProvider().NewDriver(json.RawMessage(tc.stored))
			if err != nil {
				t.Fatalf("the older plugin's config does not load: %v", err)
			}
			for _, w := range warnings {
				if strings.Contains(w, "unknown") {
					t.Errorf("warning about the older plugin's fields: %s", w)
				}
			}
			d := drv.(*keyfactorDriver)
			if got := d.DefaultCA(); got != tc.wantCA {
				t.Errorf("default CA %q, want %q", got, tc.wantCA)
			}
			if got := d.settings.apiBase.Path; strings.Trim(got, "/") != "KeyfactorAPI" {
				t.Errorf("API base path %q, want /KeyfactorAPI (the older plugin's default for an empty api_path)", got)
			}
			if ca, err := d.resolveCA(`host\\Other`); err != nil || ca != `host\Other` {
				t.Errorf("a request's ca=host\\\\Other resolves to %q, %v", ca, err)
			}
		})
	}
}
