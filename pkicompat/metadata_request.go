package pkicompat

// metadataSourcesHelp lists the request-derived values metadata_from_request may name.
const metadataSourcesHelp = "entity_id, entity_name, display_name, mount_path, role, request_id, client_address"
