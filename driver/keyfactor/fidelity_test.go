package keyfactor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// TestCheckConnectionFindsTemplateBeyondFirstPage: AD CS brings dozens of templates into
// Command and the one made for Vault has the highest id, so it is not on the default page of
// 50. The template list must be read with the sq.* names /Templates binds, and paged.
func TestCheckConnectionFindsTemplateBeyondFirstPage(t *testing.T) {
	inv := commandtest.DefaultInventory()
	for i := 0; i < 60; i++ {
		inv.Templates = append(inv.Templates, commandtest.InventoryTemplate{
			CommonName: fmt.Sprintf("ADCS%02d", i), DisplayName: fmt.Sprintf("AD CS %02d", i),
			AllowedEnrollmentTypes: commandtest.EnrollmentTypePFX, Validity: commandtest.Duration(24 * time.Hour),
		})
	}
	inv.Templates = append(inv.Templates, commandtest.InventoryTemplate{
		CommonName: "VaultIssued", DisplayName: "Vault Issued",
		AllowedEnrollmentTypes: commandtest.EnrollmentTypeCSR, Validity: commandtest.Duration(24 * time.Hour),
	})
	srv := startSim(t, commandtest.Profile25, nil, commandtest.WithInventory(inv))
	d := simDriver(t, simConf(srv, authKindBasic, nil, map[string]interface{}{"template": "VaultIssued"}))
	if _, err := d.CheckConnection(context.Background()); err != nil {
		t.Fatalf("config check refused a template that exists: %v", err)
	}
	req := signRequest(t, "beyond.example.com")
	req.Template = "VaultIssued"
	if _, err := d.Sign(context.Background(), req); err != nil {
		t.Fatalf("sign with the template: %v", err)
	}
}

// TestRevokeByCertificateOnCommand10SendsPercent20: a certificate without a stored Command id is
// found by a PQL search whose spaces must travel as %20 (Command 10 reads "+" literally).
func TestRevokeByCertificateOnCommand10SendsPercent20(t *testing.T) {
	srv := startSim(t, commandtest.Profile10, nil)
	d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
	ctx := context.Background()
	issued, err := d.Sign(ctx, signRequest(t, "percent20.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Revoke(ctx, &cadriver.RevokeRequest{Certificate: issued.Certificate}); err != nil {
		t.Fatalf("revoke by certificate on Command 10: %v", err)
	}
	st, err := d.stateInCommand(ctx, issued.CertificateID, nil)
	if err != nil || !st.revoked {
		t.Fatalf("status after revoke: %+v, %v", st, err)
	}
}

// TestRevokeByCertificateOfADCSIssuer: an AD CS enterprise CA's name carries DC= components,
// which Command prints "CN=…, DC=kfpki, DC=test" and Go prints as dotted OIDs; the certificate
// must still be found by serial and issuer.
func TestRevokeByCertificateOfADCSIssuer(t *testing.T) {
	for _, ca := range []string{commandtest.DefaultCALogicalName, commandtest.ECCALogicalName} {
		t.Run(ca, func(t *testing.T) {
			srv := startSim(t, commandtest.Profile25, nil)
			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			ctx := context.Background()
			req := signRequest(t, "adcs.example.com")
			req.CA = ca
			issued, err := d.Sign(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			st, err := d.stateInCommand(ctx, "", issued.Certificate)
			if err != nil || st.revoked {
				t.Fatalf("status by certificate: %+v, %v", st, err)
			}
			if _, err := d.Revoke(ctx, &cadriver.RevokeRequest{Certificate: issued.Certificate}); err != nil {
				t.Fatalf("revoke by certificate: %v", err)
			}
			if st, err := d.stateInCommand(ctx, issued.CertificateID, nil); err != nil || !st.revoked {
				t.Fatalf("status after revoke: %+v, %v", st, err)
			}
		})
	}
}

// TestRevokeByCertificateWithTopBitSerial: Command stores a serial whose first byte has the high
// bit set with the .NET 00 sign octet; the driver must search that spelling too. The CA's plain
// subject keeps the issuer comparison out of the way.
func TestRevokeByCertificateWithTopBitSerial(t *testing.T) {
	inv := commandtest.DefaultInventory()
	inv.CAs = []commandtest.InventoryCA{{HostName: commandtest.DefaultCAHost, LogicalName: commandtest.DefaultCALogicalName, KeyType: "RSA"}}
	srv := startSim(t, commandtest.Profile25, nil, commandtest.WithInventory(inv))
	d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
	ctx := context.Background()
	var topBit *cadriver.SignResponse
	for i := 0; i < 4 && topBit == nil; i++ {
		issued, err := d.Sign(ctx, signRequest(t, "serial.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if issued.Certificate.SerialNumber.Bytes()[0]&0x80 != 0 {
			topBit = issued
		}
	}
	if topBit == nil {
		t.Fatal("the simulator issued no serial with the top bit set")
	}
	if _, err := d.Revoke(ctx, &cadriver.RevokeRequest{Certificate: topBit.Certificate}); err != nil {
		t.Fatalf("revoke by certificate with a top-bit serial: %v", err)
	}
}

// TestCheckConnectionWarnsOnStaleTemplateFlag: on Command 25.1+ enrollment patterns decide, so a
// template whose own AllowedEnrollmentTypes lacks CSR but which Context/My offers for CSR
// enrollment is accepted with a warning. A template Context/My does not offer is still refused.
func TestCheckConnectionWarnsOnStaleTemplateFlag(t *testing.T) {
	inv := commandtest.DefaultInventory()
	inv.Templates = append(inv.Templates, commandtest.InventoryTemplate{
		CommonName: "Migrated", DisplayName: "Migrated Web Server", StaleTemplateFlag: true,
		AllowedEnrollmentTypes: commandtest.EnrollmentTypeCSR, Validity: commandtest.Duration(24 * time.Hour),
	})
	srv := startSim(t, commandtest.Profile25, nil, commandtest.WithInventory(inv))
	d := simDriver(t, simConf(srv, authKindBasic, nil, map[string]interface{}{"template": "Migrated"}))
	warnings, err := d.CheckConnection(context.Background())
	if err != nil {
		t.Fatalf("config refused for a template Command offers for CSR enrollment: %v", err)
	}
	if !containsText(warnings, "AllowedEnrollmentTypes") {
		t.Errorf("no warning about the template flag: %q", warnings)
	}
	pfx := simDriver(t, simConf(srv, authKindBasic, nil, map[string]interface{}{"template": commandtest.PFXOnlyTemplate}))
	if _, err := pfx.CheckConnection(context.Background()); err == nil || !strings.Contains(err.Error(), "does not allow CSR enrollment") {
		t.Fatalf("PFX-only template: %v", err)
	}
}

func containsText(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestClientCertConfigWarns: no public evidence shows KeyfactorAPI accepting TLS client
// certificates as authentication, so configuring them warns.
func TestClientCertConfigWarns(t *testing.T) {
	id := newClientIdentity(t)
	srv := startSim(t, commandtest.Profile25, id)
	_, warnings, err := NewProvider().NewDriver(configJSON(simConf(srv, authKindCert, id, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !containsText(warnings, "no public Keyfactor documentation") {
		t.Errorf("warnings %q lack the client-certificate caveat", warnings)
	}
}
