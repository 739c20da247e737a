package pkicompat

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// sensitiveSetMarker is what a config read with show_hidden=true returns for a sensitive field
// that has a value. The value itself is never returned.
const sensitiveSetMarker = "<set>"

func (b *backend) configPaths() []*framework.Path {
	fields := map[string]*framework.FieldSchema{
		"skip_connection_check": {
			Type:        framework.TypeBool,
			Description: "Store the configuration without asking the CA whether it works. Not stored.",
		},
		"show_hidden": {
			Type:        framework.TypeBool,
			Description: "On read, report which sensitive fields are set (their values are never returned).",
			Query:       true,
		},
	}
	for _, f := range b.provider.ConfigFields() {
		fields[f.Name] = &framework.FieldSchema{
			Type:        frameworkType(f.Kind),
			Description: f.Description,
			Default:     f.Default,
			DisplayAttrs: &framework.DisplayAttributes{
				Sensitive: f.Sensitive,
			},
		}
	}
	return []*framework.Path{{
		Pattern: "config",
		Fields:  fields,
		Operations: map[logical.Operation]framework.OperationHandler{
			logical.ReadOperation:   &framework.PathOperation{Callback: b.pathConfigRead},
			logical.UpdateOperation: &framework.PathOperation{Callback: b.pathConfigWrite},
			logical.DeleteOperation: &framework.PathOperation{Callback: b.pathConfigDelete},
		},
		HelpSynopsis: "Configure the connection to the CA.",
		HelpDescription: "Each write merges the given fields into the stored configuration, builds a " +
			"driver from it and (unless skip_connection_check=true) checks the connection before " +
			"storing. Reads never return sensitive fields.",
	}}
}

func frameworkType(k FieldKind) framework.FieldType {
	switch k {
	case FieldBool:
		return framework.TypeBool
	case FieldInt:
		return framework.TypeInt
	case FieldDuration:
		return framework.TypeDurationSecond
	case FieldCommaList:
		return framework.TypeCommaStringSlice
	}
	return framework.TypeString
}

func (b *backend) pathConfigRead(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	conf, err := loadConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	if conf == nil {
		return nil, nil
	}
	showHidden := d.Get("show_hidden").(bool)
	data := map[string]interface{}{}
	for _, f := range b.provider.ConfigFields() {
		v, ok := conf[f.Name]
		if !f.Sensitive {
			if ok {
				data[f.Name] = v
			} else if f.Default != nil {
				data[f.Name] = f.Default
			}
			continue
		}
		if showHidden {
			if ok && !isEmptyValue(v) {
				data[f.Name] = sensitiveSetMarker
			} else {
				data[f.Name] = ""
			}
		}
	}
	return &logical.Response{Data: data}, nil
}

func isEmptyValue(v interface{}) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []interface{}:
		return len(t) == 0
	case []string:
		return len(t) == 0
	}
	return false
}

func (b *backend) pathConfigWrite(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	stored, err := loadConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	merged := map[string]interface{}{}
	for k, v := range stored {
		merged[k] = v
	}
	for _, f := range b.provider.ConfigFields() {
		if v, ok := d.GetOk(f.Name); ok {
			merged[f.Name] = v
		} else if _, present := merged[f.Name]; !present && f.Default != nil {
			merged[f.Name] = f.Default
		}
	}

	// The driver is built from the very bytes that are stored, so it sees what it will see when
	// the configuration is loaded after a restart.
	entry, err := logical.StorageEntryJSON(configStorageKey, merged)
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}

	driver, warnings, err := b.provider.NewDriver(entry.Value)
	if err != nil {
		return logical.ErrorResponse(fmt.Sprintf("invalid CA configuration: %s", err.Error())), nil
	}
	if checker, ok := driver.(ConnectionChecker); ok && !d.Get("skip_connection_check").(bool) {
		checkWarnings, err := checker.CheckConnection(ctx)
		if err != nil {
			closeDriver(driver)
			return respond(&caCallError{err: err, msg: fmt.Sprintf("CA connection check failed, configuration not saved: %s", err.Error())})
		}
		warnings = append(warnings, checkWarnings...)
	}

	if err := req.Storage.Put(ctx, entry); err != nil {
		closeDriver(driver)
		return nil, fmt.Errorf("storing config: %w", err)
	}
	b.replaceDriver(driver)

	// The default CA is an issuer of this mount from the start, so issuers/ lists it.
	if _, err := b.rememberIssuer(ctx, req.Storage, defaultCAName(driver)); err != nil {
		warnings = append(warnings, fmt.Sprintf("the default CA could not be recorded as an issuer: %s", err.Error()))
	}

	if len(warnings) == 0 {
		return nil, nil
	}
	resp := &logical.Response{}
	for _, w := range warnings {
		resp.AddWarning(strings.TrimSpace(w))
	}
	return resp, nil
}

func (b *backend) pathConfigDelete(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	if err := req.Storage.Delete(ctx, configStorageKey); err != nil {
		return nil, fmt.Errorf("deleting config: %w", err)
	}
	b.replaceDriver(nil)
	return nil, nil
}

// closeDriver releases a driver that was built but never installed.
func closeDriver(d Driver) {
	if c, ok := d.(Closer); ok {
		c.Close()
	}
}
