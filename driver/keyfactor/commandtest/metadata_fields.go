package commandtest

import (
	"fmt"
	"regexp"
	"strings"
)

// MetadataField is a metadata field added to the inventory on top of the default (or given)
// one, e.g. the fields a Vault role fills from the request (VaultEntity, VaultRole).
type MetadataField struct {
	Name string
	// DataType is String, Integer, Date, Boolean, MultipleChoice, BigText or Email.
	DataType string
	Required bool
}

// metadataFieldName is the form Command accepts for a metadata field's name: letters, digits,
// '-' and '_' (Keyfactor's metadata sync tools for DigiCert and Sectigo document that only
// [a-zA-Z0-9-_] characters are accepted in a Keyfactor metadata field name).
var metadataFieldName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// WithMetadataFields adds metadata fields to the inventory.
func WithMetadataFields(fields ...MetadataField) Option {
	return func(o *options) { o.metadataFields = append(o.metadataFields, fields...) }
}

// ParseMetadataField reads "Name" or "Name:DataType" (String when no type is given), the form
// cmd/commandsim's -metadata-field flag takes.
func ParseMetadataField(text string) (MetadataField, error) {
	name, dataType, _ := strings.Cut(strings.TrimSpace(text), ":")
	f := MetadataField{Name: strings.TrimSpace(name), DataType: strings.TrimSpace(dataType)}
	if f.DataType == "" {
		f.DataType = "String"
	}
	if err := f.check(); err != nil {
		return MetadataField{}, err
	}
	return f, nil
}

func (f MetadataField) check() error {
	if !metadataFieldName.MatchString(f.Name) {
		return fmt.Errorf("metadata field name %q: only letters, digits, '-' and '_' are allowed", f.Name)
	}
	if _, ok := metadataDataTypes[strings.ToLower(f.DataType)]; !ok {
		return fmt.Errorf("metadata field %s: DataType %q is not one of String, Integer, Date, Boolean, MultipleChoice, BigText, Email", f.Name, f.DataType)
	}
	return nil
}

// addMetadataFields appends fields after the inventory's own, before the server serves (the
// field list is read without the store's lock). A name already defined is an error.
func (st *store) addMetadataFields(fields []MetadataField) error {
	for _, f := range fields {
		if err := f.check(); err != nil {
			return err
		}
		if st.findMetadata(f.Name) != nil {
			return fmt.Errorf("metadata field %s is defined twice", f.Name)
		}
		id := len(st.metadata) + 1
		st.metadata = append(st.metadata, &metadataEntry{
			id: id, name: f.Name, description: "Added with WithMetadataFields", dataType: metadataDataTypes[strings.ToLower(f.DataType)],
			required: f.Required, displayOrder: id,
		})
	}
	return nil
}
