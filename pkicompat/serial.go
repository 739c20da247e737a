package pkicompat

import (
	"crypto/x509"
	"math/big"
	"regexp"
	"strings"

	"github.com/hashicorp/vault/sdk/helper/certutil"
)

// serialPattern is the native path pattern for serial numbers: hex digits with ':' or '-'
// separators, any case.
const serialPattern = `[0-9A-Fa-f-:]+`

var serialRe = regexp.MustCompile(`^` + serialPattern + `$`)

// serialFromCert is the native display form of a certificate serial: the bytes of
// big.Int.Bytes() (so no leading zero byte) in lowercase hex joined by ':'.
func serialFromCert(cert *x509.Certificate) string {
	return serialFromBig(cert.SerialNumber)
}

// serialFromBig is the native display form of a serial number.
func serialFromBig(n *big.Int) string {
	return certutil.GetHexFormatted(n.Bytes(), ":")
}

// storageSerial turns a serial as a caller wrote it (':' or '-' separators, any case) into the
// form used in storage keys: lowercase with '-' separators. Like native, leading zeros are kept
// as written, so "00:ab" and "ab" are different serials.
//
// Beyond native, an unseparated even-length hex string (as `openssl x509 -serial` prints it,
// as the previous Keyfactor plugin showed serials and as Command answers them) is split into
// byte pairs, so it finds the same certificate; native would answer 404 for it. Command spells
// a serial whose first byte has the high bit set with DER's 00 sign octet in front ("00F751…"
// for f7:51:…), so in this form that one octet is dropped: it is not part of the value.
func storageSerial(serial string) string {
	s := strings.ToLower(strings.TrimSpace(serial))
	if len(s) > 2 && len(s)%2 == 0 && !strings.ContainsAny(s, ":-") {
		if strings.HasPrefix(s, "00") && strings.ContainsRune("89abcdef", rune(s[2])) {
			s = s[2:]
		}
		pairs := make([]string, 0, len(s)/2)
		for i := 0; i < len(s); i += 2 {
			pairs = append(pairs, s[i:i+2])
		}
		return strings.Join(pairs, "-")
	}
	return strings.ReplaceAll(s, ":", "-")
}

// displaySerial turns a storage key serial back into the colon form clients see.
func displaySerial(key string) string {
	return strings.ReplaceAll(key, "-", ":")
}

// validSerial reports whether s looks like a serial number native PKI would route.
func validSerial(s string) bool {
	return serialRe.MatchString(strings.TrimSpace(s))
}
