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

const inventoryJSON = `{
  "CAs": [{"HostName": "pki.corp", "LogicalName": "Corp-CA", "KeyType": "EC", "KeyBits": 384}],
  "templates": [{"CommonName": "Svc", "AllowedEnrollmentTypes": 2, "Validity": "48h"},
                {"CommonName": "Secs", "AllowedEnrollmentTypes": 3, "Validity": 90}],
  "MetadataFields": [{"Name": "Team", "DataType": "String", "Required": true}]
}`

const inventoryYAML = `
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

func TestLoadInventoryFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"inventory.json": inventoryJSON, "inventory.yaml": inventoryYAML} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			inv, err := LoadInventoryFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.CAs) != 1 || inv.CAs[0].KeyBits != 384 || time.Duration(inv.Templates[0].Validity) != 48*time.Hour ||
				time.Duration(inv.Templates[1].Validity) != 90*time.Second || !inv.MetadataFields[0].Required {
				t.Fatalf("inventory %+v", inv)
			}
			s := newTestServer(t, WithInventory(inv))
			if s.CACertificate(`pki.corp\Corp-CA`) == nil || s.CACertificate(DefaultCALogicalName) != nil {
				t.Fatal("the inventory's CAs are not used")
			}
			chain, _ := enrollOK(t, s, map[string]any{"CertificateAuthority": `pki.corp\Corp-CA`, "Template": "Svc", "Metadata": map[string]any{"Team": "t"}, "IncludeChain": true})
			if chain[0].Issuer.CommonName != "Corp-CA" || chain[0].NotAfter.Sub(chain[0].NotBefore) != 48*time.Hour+leafBackdate {
				t.Fatalf("issued by %s for %v", chain[0].Issuer.CommonName, chain[0].NotAfter.Sub(chain[0].NotBefore))
			}
		})
	}
}

func TestInventoryValidation(t *testing.T) {
	okCA := InventoryCA{HostName: "h", LogicalName: "L"}
	okT := InventoryTemplate{CommonName: "T", Validity: Duration(time.Hour)}
	tests := []struct {
		name      string
		inventory Inventory
		want      string
	}{
		{"no CAs", Inventory{}, "at least one CA"},
		{"CA without host", Inventory{CAs: []InventoryCA{{LogicalName: "L"}}}, "HostName"},
		{"duplicate CA", Inventory{CAs: []InventoryCA{okCA, okCA}}, "used twice"},
		{"slash in name", Inventory{CAs: []InventoryCA{{HostName: "h", LogicalName: `a\b`}}}, "slash"},
		{"bad key type", Inventory{CAs: []InventoryCA{{HostName: "h", LogicalName: "L", KeyType: "DSA"}}}, "KeyType"},
		{"bad EC size", Inventory{CAs: []InventoryCA{{HostName: "h", LogicalName: "L", KeyType: "EC", KeyBits: 521}}}, "256 or 384"},
		{"small RSA", Inventory{CAs: []InventoryCA{{HostName: "h", LogicalName: "L", KeyBits: 1024}}}, "2048"},
		{"template without validity", Inventory{CAs: []InventoryCA{okCA}, Templates: []InventoryTemplate{{CommonName: "T"}}}, "Validity"},
		{"duplicate template", Inventory{CAs: []InventoryCA{okCA}, Templates: []InventoryTemplate{okT, okT}}, "used twice"},
		{"bad enrollment types", Inventory{CAs: []InventoryCA{okCA}, Templates: []InventoryTemplate{{CommonName: "T", Validity: 1, AllowedEnrollmentTypes: 9}}}, "0..7"},
		{"template without name", Inventory{CAs: []InventoryCA{okCA}, Templates: []InventoryTemplate{{Validity: 1}}}, "Templates[0].CommonName: required"},
		{"duplicate CA in another case", Inventory{CAs: []InventoryCA{okCA, {HostName: "h", LogicalName: "l"}}}, `CAs[1].LogicalName: "l" is used twice`},
		{"metadata field without name", Inventory{CAs: []InventoryCA{okCA}, MetadataFields: []InventoryMetadataField{{DataType: "String"}}}, "MetadataFields[0].Name: required"},
		{"duplicate metadata field", Inventory{CAs: []InventoryCA{okCA}, MetadataFields: []InventoryMetadataField{{Name: "M"}, {Name: "m"}}}, `MetadataFields[1].Name: "m" is used twice`},
		{"bad metadata type", Inventory{CAs: []InventoryCA{okCA}, MetadataFields: []InventoryMetadataField{{Name: "M", DataType: "Blob"}}}, "DataType"},
		{"pattern with unknown template", Inventory{CAs: []InventoryCA{okCA}, EnrollmentPatterns: []InventoryEnrollmentPattern{{Name: "P", Template: "X"}}}, "not a template of the inventory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.inventory.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if _, err := Start(false, WithInventory(&tt.inventory)); err == nil {
				t.Fatal("Start accepted an invalid inventory")
			}
		})
	}
	if err := DefaultInventory().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Inventory{CAs: []InventoryCA{okCA}, Templates: []InventoryTemplate{okT}, EnrollmentPatterns: []InventoryEnrollmentPattern{{Name: "P", Template: "T", CAs: []string{"Nope"}}}}
	if _, err := Start(false, WithInventory(&bad)); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("pattern with unknown CA: %v", err)
	}
	dir := t.TempDir()
	for name, content := range map[string]string{"bad.json": "{", "bad.yaml": "a: [", "dur.json": `{"CAs":[{"HostName":"h","LogicalName":"L"}],"Templates":[{"CommonName":"T","Validity":"forever"}]}`} {
		path := filepath.Join(dir, name)
		_ = os.WriteFile(path, []byte(content), 0o600)
		if _, err := LoadInventoryFile(path); err == nil {
			t.Fatalf("%s loaded", name)
		}
	}
	if _, err := LoadInventoryFile(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file loaded")
	}
}

// An inventory written with encoding/json (as the compatibility suite does) loads back unchanged.
func TestInventoryJSONRoundTrip(t *testing.T) {
	inv := DefaultInventory()
	inv.CAs = append(inv.CAs, InventoryCA{HostName: DefaultCAHost, LogicalName: "myCA", KeyType: "RSA", KeyBits: 2048})
	raw, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "inventory.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	back, err := LoadInventoryFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(inv, back) {
		t.Fatalf("round trip changed the inventory:\n%+v\n%+v", inv, back)
	}
}
