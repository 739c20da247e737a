// Package openapi reduces a Vault OpenAPI document (as Vault serves it at
// sys/internal/specs/openapi, or as a backend answers a help request on its root) to what a
// generated client depends on, per path and method: the operation id, the parameters with their
// types, and the fields of the 200 response with their types. Two engines' reductions can then
// be compared path by path.
package openapi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Operation is one method of one path as a client generator sees it.
type Operation struct {
	ID string
	// Params maps the path and query parameters to their OpenAPI types.
	Params map[string]string
	// Body maps the request body's fields to their OpenAPI types.
	Body map[string]string
	// Response maps the fields of the declared 200 (or 204) response schema to their types; nil
	// when the operation declares no response schema.
	Response map[string]string
}

// Spec is a reduced document: path (without the mount prefix) -> method ("get", "post",
// "delete", "patch", "list") -> operation.
type Spec map[string]map[string]*Operation

// document is the part of an OpenAPI document this package reads.
type document struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
}

type operation struct {
	OperationID string      `json:"operationId"`
	Parameters  []parameter `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

type parameter struct {
	Name   string  `json:"name"`
	In     string  `json:"in"`
	Schema *schema `json:"schema"`
}

// Parse reduces raw, an OpenAPI document as JSON. Only paths under prefix (e.g. "/pki/", or "/"
// for a backend's own document) are kept, with prefix replaced by "/". A GET carrying the
// "list" query parameter is reported as the method "list", as Vault documents list operations.
func Parse(raw []byte, prefix string) (Spec, error) {
	var doc document
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("OpenAPI document: %w", err)
	}
	spec := Spec{}
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, prefix) {
			continue
		}
		key := "/" + strings.TrimPrefix(path, prefix)
		var pathParams []parameter
		if p, ok := item["parameters"]; ok {
			if err := json.Unmarshal(p, &pathParams); err != nil {
				return nil, fmt.Errorf("%s parameters: %w", path, err)
			}
		}
		for method, rawOp := range item {
			switch method {
			case "get", "post", "delete", "patch":
			default:
				continue
			}
			var op operation
			if err := json.Unmarshal(rawOp, &op); err != nil {
				return nil, fmt.Errorf("%s %s: %w", path, method, err)
			}
			out := &Operation{ID: op.OperationID, Params: map[string]string{}, Body: map[string]string{}}
			for _, p := range append(append([]parameter(nil), pathParams...), op.Parameters...) {
				if method == "get" && p.In == "query" && p.Name == "list" {
					method = "list"
					continue
				}
				out.Params[p.Name] = typeOf(p.Schema, doc.Components.Schemas)
			}
			if op.RequestBody != nil {
				for _, c := range op.RequestBody.Content {
					for name, s := range resolve(c.Schema, doc.Components.Schemas).Properties {
						out.Body[name] = typeOf(s, doc.Components.Schemas)
					}
				}
			}
			for _, code := range []string{"200", "204"} {
				r, ok := op.Responses[code]
				if !ok {
					continue
				}
				for _, c := range r.Content {
					// An empty schema ("{}") declares nothing a client could use.
					if s := resolve(c.Schema, doc.Components.Schemas); s != nil && (s.Type != "" || len(s.Properties) > 0) {
						if out.Response == nil {
							out.Response = map[string]string{}
						}
						for name, f := range s.Properties {
							out.Response[name] = typeOf(f, doc.Components.Schemas)
						}
					}
				}
			}
			if spec[key] == nil {
				spec[key] = map[string]*Operation{}
			}
			spec[key][method] = out
		}
	}
	return spec, nil
}

func resolve(s *schema, components map[string]*schema) *schema {
	for s != nil && s.Ref != "" {
		s = components[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

// typeOf spells a schema's type, "array of string" for arrays.
func typeOf(s *schema, components map[string]*schema) string {
	s = resolve(s, components)
	if s == nil {
		return ""
	}
	if s.Type == "array" && s.Items != nil {
		return "array of " + typeOf(s.Items, components)
	}
	return s.Type
}

// Paths returns the spec's paths, sorted.
func (s Spec) Paths() []string {
	out := make([]string, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
