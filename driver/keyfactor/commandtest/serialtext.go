package commandtest

import (
	"encoding/hex"
	"math/big"
	"strings"
)

// serialText is a serial number as Command stores and returns it: upper-case hex of the DER
// INTEGER's content octets. Inferred (the issue tracker marks it unevidenced either way): Command
// reads serials through .NET (X509Certificate.GetSerialNumber returns the INTEGER's bytes), so
// a serial whose first byte has the high bit set keeps the 00 sign octet DER puts in front of
// it ("00C3…"), where Go's big.Int and OpenSSL print "C3…".
func serialText(serial *big.Int) string {
	b := serial.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}
