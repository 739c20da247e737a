package keyfactor

import (
	"net/url"
	"strconv"
)

// Command's paged list endpoints bind their query object under the name of the C# parameter
// that holds it: "pq" for /Certificates and /CertificateAuthority, "sq" for /Templates
// (Keyfactor's generated Command 10 SDK; the v25 SDK sends the names without a prefix). A name
// with the wrong prefix is silently ignored, so /Templates?pq.returnLimit=1000 returns the
// default page of 50.
const (
	queryObjectCertificates = "pq"
	queryObjectCAs          = "pq"
	queryObjectTemplates    = "sq"
)

// listPageSize is the page size of CA and template lists; paging stops at a short page.
const listPageSize = 500

// listMaxPages bounds one list, so a misbehaving server cannot keep the driver paging.
const listMaxPages = 20

// pagedQuery returns the query of one page of a list bound under object.
func pagedQuery(object string, page, size int) url.Values {
	return url.Values{
		object + ".pageReturned": {strconv.Itoa(page)},
		object + ".returnLimit":  {strconv.Itoa(size)},
	}
}
