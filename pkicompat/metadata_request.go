package pkicompat

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// metadata_from_request: a role maps CA metadata fields to values taken from the Vault request,
// so the CA's inventory says which Vault identity, mount and role asked for each certificate.
// The values are facts about the request, not the caller's choice: they are laid over the
// static metadata (request > role), so a caller cannot name someone else.

// metadataSourcesHelp lists the request-derived values metadata_from_request may name.
const metadataSourcesHelp = "entity_id, entity_name, display_name, mount_path, role, request_id, client_address"

// metadataSources reads each value from the request being served.
var metadataSources = map[string]func(b *backend, req *logical.Request, role string) string{
	"entity_id":      func(_ *backend, req *logical.Request, _ string) string { return req.EntityID },
	"entity_name":    (*backend).entityName,
	"display_name":   func(_ *backend, req *logical.Request, _ string) string { return req.DisplayName },
	"mount_path":     func(_ *backend, req *logical.Request, _ string) string { return req.MountPoint },
	"role":           func(_ *backend, _ *logical.Request, role string) string { return role },
	"request_id":     func(_ *backend, req *logical.Request, _ string) string { return req.ID },
	"client_address": clientAddress,
}

// parseMetadataFromRequest reads the role field: a JSON object of CA metadata field name to
// source name.
func parseMetadataFromRequest(text string) (map[string]string, error) {
	mapping, err := parseMetadata("metadata_from_request", text)
	if err != nil || len(mapping) == 0 {
		return nil, err
	}
	for _, field := range sortedKeys(mapping) {
		if strings.TrimSpace(field) == "" {
			return nil, Invalid("metadata_from_request: a metadata field name is empty")
		}
		if _, ok := metadataSources[mapping[field]]; !ok {
			return nil, Invalid("metadata_from_request: %q for field %q is not a request value; use one of %s", mapping[field], field, metadataSourcesHelp)
		}
	}
	return mapping, nil
}

// requestMetadata lays the request-derived values over metadata. A value the request does not
// have (no entity, no client address) is left out, so a static value of that field stays.
func (b *backend) requestMetadata(req *logical.Request, p *issuePolicy, metadata map[string]string) map[string]string {
	if len(p.metadataFromRequest) == 0 {
		return metadata
	}
	out := make(map[string]string, len(metadata)+len(p.metadataFromRequest))
	for k, v := range metadata {
		out[k] = v
	}
	for field, source := range p.metadataFromRequest {
		if value := metadataSources[source](b, req, p.roleName); value != "" {
			out[field] = value
		}
	}
	return out
}

// entityName is the name of the request's identity entity, as Vault's system view reports it.
func (b *backend) entityName(req *logical.Request, _ string) string {
	if req.EntityID == "" || b.System() == nil {
		return ""
	}
	entity, err := b.System().EntityInfo(req.EntityID)
	if err != nil || entity == nil {
		if err != nil {
			b.Logger().Warn("could not read the requesting entity's name for metadata_from_request", "entity_id", req.EntityID, "error", err)
		}
		return ""
	}
	return entity.Name
}

func clientAddress(_ *backend, req *logical.Request, _ string) string {
	if req.Connection == nil {
		return ""
	}
	return req.Connection.RemoteAddr
}

// checkMetadataFields verifies, on role write, that every field metadata_from_request names
// exists in the CA and takes text: a missing or non-text field is the writer's mistake (400).
// When the CA cannot be asked, the role is stored with a warning saying it was not checked.
func (b *backend) checkMetadataFields(ctx context.Context, s logical.Storage, role *roleEntry) ([]string, error) {
	mapping, err := parseMetadataFromRequest(role.MetadataFromRequest)
	if err != nil || len(mapping) == 0 {
		return nil, err
	}
	notChecked := func(why string) []string {
		return []string{"metadata_from_request was not checked against the CA's metadata fields: " + why}
	}
	conf, err := loadConfig(ctx, s)
	if err != nil {
		return nil, err
	}
	if conf == nil {
		return notChecked("the CA connection is not configured yet"), nil
	}
	drv, err := b.currentDriver(ctx, s)
	if err != nil {
		return notChecked(err.Error()), nil
	}
	lister, ok := drv.(cadriver.MetadataFieldLister)
	if !ok {
		return notChecked("the CA driver cannot list metadata fields"), nil
	}
	fields, err := lister.MetadataFields(ctx)
	if err != nil {
		return notChecked(err.Error()), nil
	}
	for _, name := range sortedKeys(mapping) {
		field := findMetadataField(fields, name)
		if field == nil {
			return nil, Invalid("metadata_from_request: the CA has no metadata field %q (define it in the CA first; it has: %s)", name, metadataFieldNames(fields))
		}
		if !field.TakesText {
			return nil, Invalid("metadata_from_request: the CA's metadata field %q is of type %s, which cannot hold the request's %s; use a String or BigText field", name, field.Type, mapping[name])
		}
	}
	return nil, nil
}

func findMetadataField(fields []cadriver.MetadataField, name string) *cadriver.MetadataField {
	for i := range fields {
		if strings.EqualFold(fields[i].Name, name) {
			return &fields[i]
		}
	}
	return nil
}

func metadataFieldNames(fields []cadriver.MetadataField) string {
	if len(fields) == 0 {
		return "none"
	}
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, fmt.Sprintf("%s (%s)", f.Name, f.Type))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
