package keyfactor

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

func TestCRLFileNames(t *testing.T) {
	withVersion := func(v int64) *x509.Certificate {
		der, _ := asn1.Marshal(v)
		return &x509.Certificate{Extensions: []pkix.Extension{{Id: oidCAVersion, Value: der}}}
	}
	cases := []struct {
		desc   string
		issuer *x509.Certificate
		want   []string
	}{
		{"no CA Version: first key and the first renewal", &x509.Certificate{}, []string{"Corp CA.crl", "Corp CA(1).crl"}},
		{"CA Version 0.0: first key only", withVersion(0), []string{"Corp CA.crl"}},
		{"CA Version 2.2: renewed twice with new keys", withVersion(2<<16 | 2), []string{"Corp CA.crl", "Corp CA(2).crl"}},
		{"CA Version 0.1: renewed with the same key", withVersion(1), []string{"Corp CA.crl"}},
	}
	for _, tc := range cases {
		got := crlFileNames("Corp CA", tc.issuer)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %q", tc.desc, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %q, want %q", tc.desc, got, tc.want)
			}
		}
	}
	if u, ok := siblingCRLURL("http://pki.example.com/CertEnroll/Root.crl", "Corp CA(1).crl"); !ok || u != "http://pki.example.com/CertEnroll/Corp%20CA%281%29.crl" && u != "http://pki.example.com/CertEnroll/Corp%20CA(1).crl" {
		t.Errorf("siblingCRLURL = %q", u)
	}
}
