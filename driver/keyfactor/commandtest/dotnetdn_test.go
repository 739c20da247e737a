package commandtest

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"testing"
)

func TestDotNetDN(t *testing.T) {
	rdns := pkix.RDNSequence{
		{{Type: oidDomainComponent, Value: "com"}},
		{{Type: oidDomainComponent, Value: "example"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 8}, Value: "Ohio"}},
		{{Type: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: "x"}},
		{{Type: oidOrganization, Value: "Example, Inc."}},
		{{Type: oidCommonName, Value: "Corp Issuing CA"}},
		{{Type: oidEmailAddress, Value: "pki@example.com"}},
	}
	raw, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	want := `E=pki@example.com, CN=Corp Issuing CA, O="Example, Inc.", OID.1.2.3.4=x, S=Ohio, DC=example, DC=com`
	if got := dotNetDN(raw); got != want {
		t.Errorf("dotNetDN:\n got %s\nwant %s", got, want)
	}
	wantCompact := `E=pki@example.com,CN=Corp Issuing CA,O="Example, Inc.",OID.1.2.3.4=x,S=Ohio,DC=example,DC=com`
	if got := dotNetDNCompact(raw); got != wantCompact {
		t.Errorf("dotNetDNCompact:\n got %s\nwant %s", got, wantCompact)
	}
}

func TestDefaultCAsAreADCSLike(t *testing.T) {
	s := newTestServer(t)
	var cas []struct{ LogicalName string }
	do(t, s, call{method: "GET", path: "/CertificateAuthority"}).decode(t, &cas)
	want := map[string]string{
		DefaultCALogicalName: "CN=" + DefaultCALogicalName + ", DC=kfpki, DC=test",
		ECCALogicalName:      "E=" + DefaultCAEmail + ", CN=" + ECCALogicalName + ", O=" + simOrganization,
	}
	for _, ca := range s.store.cas {
		if got := dotNetDN(ca.cert.RawSubject); got != want[ca.logicalName] {
			t.Errorf("CA %s subject %q, want %q", ca.logicalName, got, want[ca.logicalName])
		}
	}
}

// TestSerialAndIssuerSpelling: every second leaf of a CA has a serial with the top bit set,
// stored with the 00 sign octet; GET spells IssuerDN without spaces after commas.
func TestSerialAndIssuerSpelling(t *testing.T) {
	s := newTestServer(t)
	for i := 0; i < 2; i++ {
		chain, id := enrollOK(t, s, map[string]any{})
		var got struct{ SerialNumber, IssuerDN string }
		do(t, s, call{method: "GET", path: "/Certificates/" + itoa(id)}).decode(t, &got)
		top := chain[0].SerialNumber.Bytes()[0]&0x80 != 0
		if top != (i == 1) {
			t.Fatalf("leaf %d: top bit %v", i, top)
		}
		want := strings.ToUpper(chain[0].SerialNumber.Text(16))
		if top {
			want = "00" + want
		}
		if got.SerialNumber != want {
			t.Errorf("leaf %d: SerialNumber %q, want %q", i, got.SerialNumber, want)
		}
		if got.IssuerDN != "CN="+DefaultCALogicalName+",DC=kfpki,DC=test" {
			t.Errorf("GET IssuerDN %q", got.IssuerDN)
		}
	}
}
