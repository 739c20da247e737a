package commandtest

import "testing"

func TestParseMetadataField(t *testing.T) {
	cases := []struct {
		in      string
		want    MetadataField
		wantErr bool
	}{
		{in: "VaultEntity", want: MetadataField{Name: "VaultEntity", DataType: "String"}},
		{in: "Vault-Count:Integer", want: MetadataField{Name: "Vault-Count", DataType: "Integer"}},
		{in: "Vault Entity", wantErr: true},
		{in: "X:Money", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range cases {
		got, err := ParseMetadataField(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseMetadataField(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

// TestWithMetadataFieldsRefusesDuplicates: a field the inventory already defines cannot be added.
func TestWithMetadataFieldsRefusesDuplicates(t *testing.T) {
	if _, err := Start(false, WithMetadataFields(MetadataField{Name: MetadataOwner, DataType: "String"})); err == nil {
		t.Fatal("a duplicate metadata field was accepted")
	}
	srv, err := Start(false, WithMetadataFields(MetadataField{Name: "VaultRole", DataType: "String"}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.store.findMetadata("vaultrole") == nil {
		t.Fatal("the added field is not defined")
	}
}
