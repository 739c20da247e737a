package keyfactor

import (
	"context"
	"crypto/x509"
	"net/http"
	"strconv"
)

const (
	// searchPageSize is the page size of certificate searches; paging stops at a short page.
	searchPageSize = 200
	// searchMaxPages bounds one search, so a misbehaving server cannot keep the driver paging.
	searchMaxPages = 500
)

// certQuery is a GET /Certificates search.
type certQuery struct {
	pql            string
	includeRevoked bool
	includeExpired bool
	pageSize       int // 0 = searchPageSize
	maxPages       int // 0 = searchMaxPages; 1 = first page only
}

// searchCertificates returns every match of q, paging until a short page. Command sends no
// reliable total count, so a short page is the only end marker.
func (d *keyfactorDriver) searchCertificates(ctx context.Context, q certQuery) ([]certificateRecord, error) {
	size := q.pageSize
	if size <= 0 {
		size = searchPageSize
	}
	maxPages := q.maxPages
	if maxPages <= 0 {
		maxPages = searchMaxPages
	}
	var all []certificateRecord
	for page := 1; page <= maxPages; page++ {
		var records []certificateRecord
		// The pq.* names are what Keyfactor's clients send to every version from 10 to 25.
		query := pagedQuery(queryObjectCertificates, page, size)
		for name, value := range map[string]string{
			"queryString":    q.pql,
			"includeRevoked": strconv.FormatBool(q.includeRevoked),
			"includeExpired": strconv.FormatBool(q.includeExpired),
			"sortField":      "CertId",
			"sortAscending":  "0",
		} {
			query.Set(queryObjectCertificates+"."+name, value)
		}
		_, err := d.callJSON(ctx, apiCall{
			method:   http.MethodGet,
			path:     []string{"Certificates"},
			query:    query,
			readOnly: true,
		}, errorPolicy{}, &records)
		if err != nil {
			return nil, err
		}
		all = append(all, records...)
		if len(records) < size {
			return all, nil
		}
	}
	return all, nil
}

// downloadChain downloads a certificate with its chain as PKCS#7 (POST /Certificates/Download).
// A download changes nothing in Command, so it may be retried.
func (d *keyfactorDriver) downloadChain(ctx context.Context, id int64) ([]*x509.Certificate, error) {
	var answer downloadResponse
	op := apiCall{
		method:   http.MethodPost,
		path:     []string{"Certificates", "Download"},
		body:     downloadRequest{CertID: id, IncludeChain: true, ChainOrder: "EndEntityFirst"},
		format:   "P7B",
		readOnly: true,
	}
	if _, err := d.callJSON(ctx, op, errorPolicy{}, &answer); err != nil {
		return nil, err
	}
	certs, err := parseDownloadContent(answer.Content)
	if err != nil {
		return nil, &CommandError{Op: op.op(), HTTPStatus: http.StatusOK, Hint: "the downloaded certificate is unreadable: " + err.Error(), status: http.StatusBadGateway}
	}
	return certs, nil
}
