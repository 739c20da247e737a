package keyfactor

import (
	"crypto/x509"
	"encoding/asn1"
	"strconv"
)

// oidCAVersion is AD CS's CA Version extension (szOID_CERTSRV_CA_VERSION): the CA key index in
// the high 16 bits and the certificate index in the low 16 bits (Microsoft Learn, "CA Version
// extension").
var oidCAVersion = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 21, 1}

// crlFileNames are the file names an AD CS CA's CRL may have next to its parent's: "<name>.crl"
// for the first key, and "<name>(n).crl" once the CA was renewed with a new key (AD CS's
// default CDP uses the %8 CRL name suffix, which is "(n)" for key index n > 0). The key index
// comes from the CA Version extension; without it, "(1)" is tried as the likeliest renewal.
func crlFileNames(name string, issuer *x509.Certificate) []string {
	if name == "" {
		return nil
	}
	names := []string{name + ".crl"}
	keyIndex := 1
	if v, ok := caVersion(issuer); ok {
		keyIndex = int(v >> 16)
	}
	if keyIndex > 0 {
		names = append(names, name+"("+strconv.Itoa(keyIndex)+").crl")
	}
	return names
}

func caVersion(cert *x509.Certificate) (uint32, bool) {
	if cert == nil {
		return 0, false
	}
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidCAVersion) {
			var v int64
			if rest, err := asn1.Unmarshal(ext.Value, &v); err == nil && len(rest) == 0 && v >= 0 && v <= 0xFFFFFFFF {
				return uint32(v), true
			}
		}
	}
	return 0, false
}
