package commandtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const seedJSON = `{
  "CAs": [{"HostName": "pki.corp", "LogicalName": "Corp-CA", "KeyType": "EC", "KeyBits": 384}],
  "templates": [{"CommonName": "Svc", "AllowedEnrollmentTypes": 2, "Validity": "48h"},
                {"CommonName": "Secs", "AllowedEnrollmentTypes": 3, "Validity": 90}],
  "MetadataFields": [{"Name": "Team", "DataType": "String", "Required": true}]
}`

const seedYAML = `
CAs:
  - HostName: pki.corp
    LogicalName: Corp-CA
    KeyType: EC
    KeyBits: 384
Templates:
  - CommonName: Svc
    AllowedEnrollmentTypes: 2
    Validity: 48h
  - CommonName: Secs
    AllowedEnrollmentTypes: 3
    Validity: 90
MetadataFields:
  - Name: Team
    DataType: String
    Required: true
`

func TestLoadSeedFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"seed.json": seedJSON, "seed.yaml": seedYAML} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			seed, err := LoadSeedFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(seed.CAs) != 1 || seed.CAs[0].KeyBits != 384 || time.Duration(seed.Templates[0].Validity) != 48*time.Hour ||
				time.Duration(seed.Templates[1].Validity) != 90*time.Second || !seed.MetadataFields[0].Required {
				t.Fatalf("seed %+v", seed)
			}
			s := newTestServer(t, WithSeed(seed))
			if s.CACertificate(`pki.corp\Corp-CA`) == nil || s.CACertificate(DefaultCALogicalName) != nil {
				t.Fatal("seeded CAs not used")
			}
			chain, _ := enrollOK(t, s, map[string]any{"CertificateAuthority": `pki.corp\Corp-CA`, "Template": "Svc", "Metadata": map[string]any{"Team": "t"}, "IncludeChain": true})
			if chain[0].Issuer.CommonName != "Corp-CA" || chain[0].NotAfter.Sub(chain[0].NotBefore) != 48*time.Hour+leafBackdate {
				t.Fatalf("issued by %s for %v", chain[0].Issuer.CommonName, chain[0].NotAfter.Sub(chain[0].NotBefore))
			}
		})
	}
}

func TestSeedValidation(t *testing.T) {
	okCA := SeedCA{HostName: "h", LogicalName: "L"}
	okT := SeedTemplate{CommonName: "T", Validity: Duration(time.Hour)}
	tests := []struct {
		name string
		seed Seed
		want string
	}{
		{"no CAs", Seed{}, "at least one CA"},
		{"CA without host", Seed{CAs: []SeedCA{{LogicalName: "L"}}}, "HostName"},
		{"duplicate CA", Seed{CAs: []SeedCA{okCA, okCA}}, "used twice"},
		{"slash in name", Seed{CAs: []SeedCA{{HostName: "h", LogicalName: `a\b`}}}, "slash"},
		{"bad key type", Seed{CAs: []SeedCA{{HostName: "h", LogicalName: "L", KeyType: "DSA"}}}, "KeyType"},
		{"bad EC size", Seed{CAs: []SeedCA{{HostName: "h", LogicalName: "L", KeyType: "EC", KeyBits: 521}}}, "256 or 384"},
		{"small RSA", Seed{CAs: []SeedCA{{HostName: "h", LogicalName: "L", KeyBits: 1024}}}, "2048"},
		{"template without validity", Seed{CAs: []SeedCA{okCA}, Templates: []SeedTemplate{{CommonName: "T"}}}, "Validity"},
		{"duplicate template", Seed{CAs: []SeedCA{okCA}, Templates: []SeedTemplate{okT, okT}}, "used twice"},
		{"bad enrollment types", Seed{CAs: []SeedCA{okCA}, Templates: []SeedTemplate{{CommonName: "T", Validity: 1, AllowedEnrollmentTypes: 9}}}, "0..7"},
		{"bad metadata type", Seed{CAs: []SeedCA{okCA}, MetadataFields: []SeedMetadataField{{Name: "M", DataType: "Blob"}}}, "DataType"},
		{"pattern with unknown template", Seed{CAs: []SeedCA{okCA}, EnrollmentPatterns: []SeedEnrollmentPattern{{Name: "P", Template: "X"}}}, "not a seeded template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.seed.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if _, err := Start(false, WithSeed(&tt.seed)); err == nil {
				t.Fatal("Start accepted an invalid seed")
			}
		})
	}
	if err := DefaultSeed().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Seed{CAs: []SeedCA{okCA}, Templates: []SeedTemplate{okT}, EnrollmentPatterns: []SeedEnrollmentPattern{{Name: "P", Template: "T", CAs: []string{"Nope"}}}}
	if _, err := Start(false, WithSeed(&bad)); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("pattern with unknown CA: %v", err)
	}
	dir := t.TempDir()
	for name, content := range map[string]string{"bad.json": "{", "bad.yaml": "a: [", "dur.json": `{"CAs":[{"HostName":"h","LogicalName":"L"}],"Templates":[{"CommonName":"T","Validity":"forever"}]}`} {
		path := filepath.Join(dir, name)
		_ = os.WriteFile(path, []byte(content), 0o600)
		if _, err := LoadSeedFile(path); err == nil {
			t.Fatalf("%s loaded", name)
		}
	}
	if _, err := LoadSeedFile(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file loaded")
	}
}

// A seed written with encoding/json (as the compatibility suite does) loads back unchanged.
func TestSeedJSONRoundTrip(t *testing.T) {
	seed := DefaultSeed()
	seed.CAs = append(seed.CAs, SeedCA{HostName: DefaultCAHost, LogicalName: "myCA", KeyType: "RSA", KeyBits: 2048})
	raw, err := json.MarshalIndent(seed, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := LoadSeedFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seed, back) {
		t.Fatalf("round trip changed the seed:\n%+v\n%+v", seed, back)
	}
}
