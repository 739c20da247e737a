package pkitest

import (
	"context"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

var _ cadriver.MetadataFieldLister = (*Driver)(nil)

// SetMetadataFields sets the metadata fields the Server defines (none by default).
func (s *Server) SetMetadataFields(fields ...cadriver.MetadataField) {
	s.set(func() { s.metadataFields = append([]cadriver.MetadataField(nil), fields...) })
}

// MetadataFields lists the fields SetMetadataFields defined.
func (d *Driver) MetadataFields(context.Context) ([]cadriver.MetadataField, error) {
	d.server.mu.Lock()
	defer d.server.mu.Unlock()
	return append([]cadriver.MetadataField(nil), d.server.metadataFields...), nil
}
