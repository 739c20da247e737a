package keyfactor

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

var _ cadriver.MetadataFieldLister = (*keyfactorDriver)(nil)

// queryObjectMetadata binds GET /MetadataFields' paged query. Keyfactor's API reference shows
// pq.* for metadata fields, as for certificates.
const queryObjectMetadata = "pq"

// metadataFieldRecord is one entry of GET /MetadataFields.
type metadataFieldRecord struct {
	Name     string  `json:"Name"`
	DataType flexInt `json:"DataType"`
}

// metadataDataTypes names Command's metadata DataType codes (1 String, 2 Integer, 3 Date,
// 4 Boolean, 5 MultipleChoice, 6 BigText, 7 Email; the reference marks the numbering
// inferred). Only String and BigText take any text.
var metadataDataTypes = map[int]string{1: "String", 2: "Integer", 3: "Date", 4: "Boolean", 5: "MultipleChoice", 6: "BigText", 7: "Email"}

// MetadataFields lists the metadata fields Command defines (GET /MetadataFields).
func (d *keyfactorDriver) MetadataFields(ctx context.Context) ([]cadriver.MetadataField, error) {
	records, err := listAll[metadataFieldRecord](ctx, d, "MetadataFields", queryObjectMetadata)
	if err != nil {
		return nil, err
	}
	out := make([]cadriver.MetadataField, 0, len(records))
	for _, r := range records {
		name := strings.TrimSpace(r.Name)
		if name == "" {
			continue
		}
		typeName, known := metadataDataTypes[int(r.DataType)]
		if !known {
			typeName = "DataType " + strconv.FormatInt(int64(r.DataType), 10)
		}
		out = append(out, cadriver.MetadataField{Name: name, Type: typeName, TakesText: r.DataType == 1 || r.DataType == 6})
	}
	return out, nil
}

// listAll reads every entry of a paged list endpoint, page by page, until a short page.
func listAll[T any](ctx context.Context, d *keyfactorDriver, path, queryObject string) ([]T, error) {
	var all []T
	for page := 1; page <= listMaxPages; page++ {
		var records []T
		_, err := d.callJSON(ctx, apiCall{
			method:   http.MethodGet,
			path:     []string{path},
			query:    pagedQuery(queryObject, page, listPageSize),
			readOnly: true,
		}, errorPolicy{}, &records)
		if err != nil {
			return nil, err
		}
		all = append(all, records...)
		if len(records) < listPageSize {
			break
		}
	}
	return all, nil
}
