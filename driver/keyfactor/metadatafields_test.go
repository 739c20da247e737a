package keyfactor

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// TestSimMetadataFields: the driver lists Command's metadata fields with their types, and
// Command accepts enrollment metadata for defined fields only.
func TestSimMetadataFields(t *testing.T) {
	t.Parallel()
	for _, profile := range allProfiles {
		t.Run(fmt.Sprintf("v%d", profile), func(t *testing.T) {
			t.Parallel()
			srv := startSim(t, profile, nil, commandtest.WithMetadataFields(
				commandtest.MetadataField{Name: "VaultEntity", DataType: "String"},
				commandtest.MetadataField{Name: "VaultNotes", DataType: "BigText"},
			))
			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			ctx := context.Background()
			fields, err := d.MetadataFields(ctx)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]cadriver.MetadataField{}
			for _, f := range fields {
				byName[f.Name] = f
			}
			for name, want := range map[string]cadriver.MetadataField{
				"VaultEntity":                  {Name: "VaultEntity", Type: "String", TakesText: true},
				"VaultNotes":                   {Name: "VaultNotes", Type: "BigText", TakesText: true},
				commandtest.MetadataCostCenter: {Name: commandtest.MetadataCostCenter, Type: "Integer"},
				commandtest.MetadataOwner:      {Name: commandtest.MetadataOwner, Type: "String", TakesText: true},
			} {
				if byName[name] != want {
					t.Errorf("%s: %+v, want %+v", name, byName[name], want)
				}
			}

			req := signRequest(t, "meta.example.com")
			req.Metadata = map[string]string{"VaultEntity": "alice"}
			if _, err := d.Sign(ctx, req); err != nil {
				t.Fatalf("defined field: %v", err)
			}
			req = signRequest(t, "meta2.example.com")
			req.Metadata = map[string]string{"VaultUndefined": "alice"}
			if _, err := d.Sign(ctx, req); cadriver.StatusOf(err, 0) != http.StatusBadRequest {
				t.Fatalf("undefined field: want 400, got %v", err)
			}
		})
	}
}
