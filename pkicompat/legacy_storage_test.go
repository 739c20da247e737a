package pkicompat

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDecodeLegacyRoleOddEntries(t *testing.T) {
	cases := []struct {
		name   string
		stored string
		check  func(t *testing.T, r *roleEntry, notes []string)
	}{
		{
			name:   "base domain of the oldest versions",
			stored: `{"ttl":"","max_ttl":"","ttl_duration":0,"max_ttl_duration":0,"allowed_base_domain":"corp.example","allow_base_domain":true,"allowed_domains_list":null}`,
			check: func(t *testing.T, r *roleEntry, _ []string) {
				if !slices.Equal(r.AllowedDomains, []string{"corp.example"}) || !r.AllowBareDomains {
					t.Errorf("domains %v bare %v", r.AllowedDomains, r.AllowBareDomains)
				}
			},
		},
		{
			name:   "unreadable ttl string stays readable",
			stored: `{"ttl":"soon","max_ttl":"","ttl_duration":0,"max_ttl_duration":0,"allowed_domains_list":["a.example"]}`,
			check: func(t *testing.T, r *roleEntry, notes []string) {
				if r.TTL != 0 || !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, `"soon"`) }) {
					t.Errorf("ttl %v notes %v", r.TTL, notes)
				}
			},
		},
		{
			name:   "number wins over string",
			stored: `{"ttl":"5m","max_ttl":"10h","ttl_duration":60000000000,"max_ttl_duration":0,"allowed_domains_list":[]}`,
			check: func(t *testing.T, r *roleEntry, _ []string) {
				if r.TTL != time.Minute || r.MaxTTL != 10*time.Hour {
					t.Errorf("ttl %v max_ttl %v", r.TTL, r.MaxTTL)
				}
			},
		},
		{
			name:   "wildcard domain and no bare-domain widening for an empty list",
			stored: `{"ttl":"","max_ttl":"","ttl_duration":0,"max_ttl_duration":0,"allowed_domains_list":[],"key_type":"","key_bits":0}`,
			check: func(t *testing.T, r *roleEntry, _ []string) {
				if r.AllowBareDomains || r.KeyType != "rsa" || r.KeyBits != 2048 || len(r.AllowedDomains) != 0 || r.AllowedDomains == nil {
					t.Errorf("bare %v key %s/%d domains %#v", r.AllowBareDomains, r.KeyType, r.KeyBits, r.AllowedDomains)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !isLegacyRoleJSON([]byte(tc.stored)) {
				t.Fatal("not recognised as the older plugin's role")
			}
			r, notes, err := decodeLegacyRole([]byte(tc.stored))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, r, notes)
		})
	}
	if isLegacyRoleJSON([]byte(`{"ttl":3600,"allowed_domains":["a"]}`)) {
		t.Error("this engine's role taken for the older shape")
	}
}

func TestLegacyKeyfactorIDAndSerialSpellings(t *testing.T) {
	for stored, want := range map[string]string{"4123": "4123", "12345": "12345", "1.2345e+06": "1234500"} {
		if got, err := parseLegacyKeyfactorID([]byte(stored)); err != nil || got != want {
			t.Errorf("kfId %s -> %q, %v; want %s", stored, got, err, want)
		}
	}
	for _, bad := range []string{`"x"`, "0", "-3", "1.5", ""} {
		if got, err := parseLegacyKeyfactorID([]byte(bad)); err == nil {
			t.Errorf("kfId %q accepted as %q", bad, got)
		}
	}
	for key, want := range map[string]string{
		"750000276546d818cbe70231b6000000002765":                      "75-00-00-27-65-46-d8-18-cb-e7-02-31-b6-00-00-00-00-27-65",
		"75:00:00:27:65:46:D8:18:CB:E7:02:31:B6:00:00:00:00:27:65":    "75-00-00-27-65-46-d8-18-cb-e7-02-31-b6-00-00-00-00-27-65",
		"00-75-00-00-27-65-46-d8-18-cb-e7-02-31-b6-00-00-00-00-27-65": "75-00-00-27-65-46-d8-18-cb-e7-02-31-b6-00-00-00-00-27-65",
	} {
		if got, ok := canonicalStorageSerial(key); !ok || got != want {
			t.Errorf("serial %s -> %q, want %q", key, got, want)
		}
	}
	if _, ok := canonicalStorageSerial("not-hex"); ok {
		t.Error("a non-hex key taken for a serial")
	}
}
