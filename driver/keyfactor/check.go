package keyfactor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// CheckConnection proves, when config is written, that the credentials work
// (GET /Status/Endpoints) and that the configured template and CA can issue by CSR: from what
// the plugin's identity may enroll with (GET /Enrollment/CSR/Context/My), falling back to the
// template and CA lists when that endpoint is missing or forbidden.
func (d *keyfactorDriver) CheckConnection(ctx context.Context) ([]string, error) {
	var endpoints []string
	if _, err := d.callJSON(ctx, apiCall{method: http.MethodGet, path: []string{"Status", "Endpoints"}, readOnly: true}, errorPolicy{}, &endpoints); err != nil {
		return nil, d.connectionInputError(err)
	}
	ca := strings.TrimSpace(d.settings.cfg.CA)
	template := strings.TrimSpace(d.settings.cfg.Template)
	if ca == "" && template == "" {
		return nil, nil
	}
	var warnings []string

	templates, templatesErr := d.listTemplates(ctx)
	if templatesErr != nil {
		warnings = append(warnings, fmt.Sprintf("could not list templates to check template %q: %v", template, templatesErr))
	}
	var tmpl *templateRecord
	if template != "" && templatesErr == nil {
		if tmpl = findTemplate(templates, template); tmpl == nil {
			return warnings, cadriver.Invalid("template %q does not exist in Keyfactor Command (use the template's short name)", template)
		}
	}
	// From Command 25.1 enrollment settings live on enrollment patterns and the template's own
	// flag may be stale: a clear flag refuses the config only when the enrollment context
	// (below) cannot vouch for the template.
	templateFlagClear := tmpl != nil && int64(tmpl.AllowedEnrollmentTypes)&enrollmentTypeCSR == 0
	refuseTemplateFlag := func() error {
		return cadriver.Invalid("template %q does not allow CSR enrollment in Keyfactor Command; enable CSR enrollment on the template", template)
	}

	if ca != "" {
		more, err := d.checkCAList(ctx, ca)
		warnings = append(warnings, more...)
		if err != nil {
			return warnings, err
		}
	}
	var enrollCtx csrContext
	_, err := d.callJSON(ctx, apiCall{method: http.MethodGet, path: []string{"Enrollment", "CSR", "Context", "My"}, readOnly: true}, errorPolicy{}, &enrollCtx)
	var ce *CommandError
	switch {
	case err == nil:
		if templateFlagClear && findContextTemplate(&enrollCtx, template) == nil {
			return warnings, refuseTemplateFlag()
		}
		more, err := checkEnrollmentContext(&enrollCtx, ca, template)
		warnings = append(warnings, more...)
		if err != nil {
			return warnings, err
		}
		if templateFlagClear {
			warnings = append(warnings, fmt.Sprintf("template %q does not allow CSR enrollment by its own AllowedEnrollmentTypes, but Command offers it to the plugin's identity for CSR enrollment (from Command 25.1 enrollment patterns decide); accepted", template))
		}
	case errors.As(err, &ce) && (ce.HTTPStatus == http.StatusNotFound || ce.HTTPStatus == http.StatusForbidden || ce.HTTPStatus == http.StatusMethodNotAllowed):
		if templateFlagClear {
			return warnings, refuseTemplateFlag()
		}
		warnings = append(warnings, fmt.Sprintf("could not read the enrollment context, so template and CA permissions were not checked: %v", err))
	default:
		return warnings, fmt.Errorf("connection check failed: %w", err)
	}

	if tmpl != nil && tmpl.RequiresApproval {
		warnings = append(warnings, fmt.Sprintf("template %q requires approval in Keyfactor Command: requests will wait for an approver instead of returning a certificate", template))
	}
	return warnings, nil
}

// checkEnrollmentContext checks the template and CA against what the identity may enroll with.
func checkEnrollmentContext(c *csrContext, ca, template string) ([]string, error) {
	var warnings []string
	if template == "" {
		if ca != "" && !contextHasCA(c, ca) {
			return nil, cadriver.Invalid("CA '%s' is not available for CSR enrollment to the plugin's Keyfactor Command identity", ca)
		}
		return nil, nil
	}
	t := findContextTemplate(c, template)
	if t == nil {
		return nil, cadriver.Invalid("template %q is not available for CSR enrollment to the plugin's Keyfactor Command identity (grant it enroll permission on the template)", template)
	}
	if ca == "" {
		return nil, nil
	}
	for _, a := range t.CAs {
		if caNameMatches(ca, a.Name) {
			return warnings, nil
		}
	}
	for _, a := range c.StandaloneCAs {
		if caNameMatches(ca, a.Name) {
			return warnings, nil
		}
	}
	var allowed []string
	for _, a := range t.CAs {
		allowed = append(allowed, a.Name)
	}
	return nil, cadriver.Invalid("CA '%s' is not allowed for template %q in Keyfactor Command (allowed: %s)", ca, template, strings.Join(allowed, ", "))
}

// findContextTemplate finds a template of the enrollment context by its short or display name.
func findContextTemplate(c *csrContext, template string) *contextTemplate {
	for i := range c.Templates {
		if strings.EqualFold(c.Templates[i].Name, template) || strings.EqualFold(c.Templates[i].DisplayName, template) {
			return &c.Templates[i]
		}
	}
	return nil
}

func contextHasCA(c *csrContext, ca string) bool {
	for _, t := range c.Templates {
		for _, a := range t.CAs {
			if caNameMatches(ca, a.Name) {
				return true
			}
		}
	}
	for _, a := range c.StandaloneCAs {
		if caNameMatches(ca, a.Name) {
			return true
		}
	}
	return false
}

// caNameMatches compares a configured CA name with one Command lists ("host\logical"): fully
// when the configured name has a host, else by logical name.
func caNameMatches(configured, listed string) bool {
	if strings.Contains(configured, `\`) {
		return strings.EqualFold(strings.TrimSpace(configured), strings.TrimSpace(listed))
	}
	return strings.EqualFold(logicalName(configured), logicalName(listed))
}

// listTemplates reads every template, page by page: AD CS alone brings dozens, and the one made
// for Vault is usually the newest, so it is rarely on the first page.
func (d *keyfactorDriver) listTemplates(ctx context.Context) ([]templateRecord, error) {
	return listAll[templateRecord](ctx, d, "Templates", queryObjectTemplates)
}

func findTemplate(templates []templateRecord, name string) *templateRecord {
	for i := range templates {
		t := &templates[i]
		if strings.EqualFold(t.CommonName, name) || strings.EqualFold(t.TemplateName, name) || strings.EqualFold(t.DisplayName, name) {
			return t
		}
	}
	return nil
}

// checkCAList checks the CA exists and allows CSR enrollment (GET /CertificateAuthority). A
// list the identity may not read only yields a warning.
func (d *keyfactorDriver) checkCAList(ctx context.Context, ca string) ([]string, error) {
	var cas []caRecord
	_, err := d.callJSON(ctx, apiCall{
		method:   http.MethodGet,
		path:     []string{"CertificateAuthority"},
		query:    pagedQuery(queryObjectCAs, 1, listPageSize),
		readOnly: true,
	}, errorPolicy{}, &cas)
	if err != nil {
		return []string{fmt.Sprintf("could not list CAs to check CA '%s': %v", ca, err)}, nil
	}
	for _, rec := range cas {
		if !caNameMatches(ca, rec.HostName+`\`+rec.LogicalName) {
			continue
		}
		if rec.AllowedEnrollmentTypes != nil && int64(*rec.AllowedEnrollmentTypes)&enrollmentTypeCSR == 0 {
			return nil, cadriver.Invalid("CA '%s' does not allow CSR enrollment in Keyfactor Command", ca)
		}
		return nil, nil
	}
	return nil, cadriver.Invalid(`CA '%s' does not exist in Keyfactor Command (use "HostName\LogicalName" or the logical name)`, ca)
}
