package commandtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Enrollment-type bits of AllowedEnrollmentTypes on templates, CAs and enrollment patterns.
const (
	EnrollmentTypePFX          = 1
	EnrollmentTypeCSR          = 2
	EnrollmentTypeCSRGenerated = 4
)

// Inventory is what a server holds when it starts: CAs, templates, metadata fields and
// enrollment patterns. Field names match case-insensitively in JSON, and YAML files use the
// same names.
type Inventory struct {
	CAs            []InventoryCA            `json:"CAs"`
	Templates      []InventoryTemplate      `json:"Templates"`
	MetadataFields []InventoryMetadataField `json:"MetadataFields"`
	// EnrollmentPatterns (Command 25 only). When empty, one pattern per template is created,
	// named after the template, allowing every CA.
	EnrollmentPatterns []InventoryEnrollmentPattern `json:"EnrollmentPatterns"`
}

// InventoryCA is one issuing CA under the simulator's root. Its certificate's CN is LogicalName.
type InventoryCA struct {
	HostName    string `json:"HostName"`
	LogicalName string `json:"LogicalName"`
	KeyType     string `json:"KeyType"` // "RSA" (default) or "EC"
	KeyBits     int    `json:"KeyBits"` // RSA modulus size (default 2048) or EC curve size 256/384 (default 256)
	// AllowedEnrollmentTypes defaults to CSR|PFX.
	AllowedEnrollmentTypes int `json:"AllowedEnrollmentTypes"`
	// DomainComponents, when set, make the CA's subject CN=<LogicalName>,DC=…,DC=… (most
	// specific first) without O=, as AD CS names an enterprise CA after its Active Directory
	// domain (an enterprise CA in corp.example.com is "CN=<name>, DC=corp, DC=example, DC=com").
	DomainComponents []string `json:"DomainComponents"`
	// Email, when set, adds E=<Email> (emailAddress) to the CA's subject.
	Email string `json:"Email"`
}

// InventoryTemplate is a certificate template as Command lists it.
type InventoryTemplate struct {
	CommonName             string   `json:"CommonName"` // short name, used as Template in enrollment
	DisplayName            string   `json:"DisplayName"`
	AllowedEnrollmentTypes int      `json:"AllowedEnrollmentTypes"`
	RequiresApproval       bool     `json:"RequiresApproval"`
	Validity               Duration `json:"Validity"`   // e.g. "720h"
	KeyType                string   `json:"KeyType"`    // "" any, "RSA" or "ECC"
	MinKeySize             int      `json:"MinKeySize"` // RSA modulus bits; default 2048 for RSA keys
	// StaleTemplateFlag (Command 25 only): GET /Templates shows AllowedEnrollmentTypes 0 for
	// this template while its enrollment pattern still allows AllowedEnrollmentTypes, as after an
	// upgrade to 25.1, where enrollment settings moved from templates to enrollment patterns.
	StaleTemplateFlag bool `json:"StaleTemplateFlag"`
}

// InventoryMetadataField is a metadata field definition.
type InventoryMetadataField struct {
	Name         string `json:"Name"`
	Description  string `json:"Description"`
	DataType     string `json:"DataType"` // String, Integer, Date, Boolean, MultipleChoice, BigText, Email
	Required     bool   `json:"Required"`
	Options      string `json:"Options"` // comma-separated choices for MultipleChoice
	Hint         string `json:"Hint"`
	DefaultValue string `json:"DefaultValue"`
}

// InventoryEnrollmentPattern is a Command 25 enrollment pattern.
type InventoryEnrollmentPattern struct {
	Name     string   `json:"Name"`
	Template string   `json:"Template"` // template CommonName
	CAs      []string `json:"CAs"`      // logical names; empty = all CAs
}

// Duration is a time.Duration read from JSON/YAML as a Go duration string ("720h") or a
// number of seconds.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts "720h" or 2592000 (seconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return errors.New("duration must be a string like \"720h\" or a number of seconds")
	}
	*d = Duration(time.Duration(secs * float64(time.Second)))
	return nil
}

// LoadInventoryFile reads an inventory from a JSON file, or a YAML file when the name ends in .yaml/.yml.
func LoadInventoryFile(path string) (*Inventory, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading inventory file: %w", err)
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".yaml" || ext == ".yml" {
		// YAML is turned into JSON so both formats share one set of field rules.
		var doc any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("inventory file %s: %w", path, err)
		}
		if raw, err = json.Marshal(doc); err != nil {
			return nil, fmt.Errorf("inventory file %s: %w", path, err)
		}
	}
	var inv Inventory
	if err := json.Unmarshal(raw, &inv); err != nil {
		return nil, fmt.Errorf("inventory file %s: %w", path, err)
	}
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("inventory file %s: %w", path, err)
	}
	return &inv, nil
}

var metadataDataTypes = map[string]int{
	"string": 1, "integer": 2, "date": 3, "boolean": 4, "multiplechoice": 5, "bigtext": 6, "email": 7,
}

// Validate reports the first problem that would keep the inventory from making a usable server.
func (s *Inventory) Validate() error {
	if len(s.CAs) == 0 {
		return errors.New("CAs: at least one CA is required")
	}
	caNames := uniqueNames{}
	for i, ca := range s.CAs {
		if ca.LogicalName == "" || ca.HostName == "" {
			return fmt.Errorf("CAs[%d]: HostName and LogicalName are required", i)
		}
		if strings.ContainsAny(ca.LogicalName, `\/`) {
			return fmt.Errorf("CAs[%d].LogicalName: must not contain a slash or backslash", i)
		}
		if err := caNames.add(fmt.Sprintf("CAs[%d].LogicalName", i), ca.LogicalName); err != nil {
			return err
		}
		switch strings.ToUpper(ca.KeyType) {
		case "", "RSA":
			if ca.KeyBits != 0 && (ca.KeyBits < 2048 || ca.KeyBits > 8192) {
				return fmt.Errorf("CAs[%d].KeyBits: RSA size must be 2048..8192", i)
			}
		case "EC", "ECC", "ECDSA":
			if ca.KeyBits != 0 && ca.KeyBits != 256 && ca.KeyBits != 384 {
				return fmt.Errorf("CAs[%d].KeyBits: EC size must be 256 or 384", i)
			}
		default:
			return fmt.Errorf("CAs[%d].KeyType: %q is not RSA or EC", i, ca.KeyType)
		}
	}
	templateNames := uniqueNames{}
	for i, t := range s.Templates {
		if err := templateNames.add(fmt.Sprintf("Templates[%d].CommonName", i), t.CommonName); err != nil {
			return err
		}
		if t.Validity <= 0 {
			return fmt.Errorf("Templates[%d].Validity: must be positive", i)
		}
		if t.AllowedEnrollmentTypes < 0 || t.AllowedEnrollmentTypes > 7 {
			return fmt.Errorf("Templates[%d].AllowedEnrollmentTypes: must be 0..7", i)
		}
		switch strings.ToUpper(t.KeyType) {
		case "", "RSA", "ECC":
		default:
			return fmt.Errorf("Templates[%d].KeyType: %q is not RSA or ECC", i, t.KeyType)
		}
	}
	fieldNames := uniqueNames{}
	for i, m := range s.MetadataFields {
		if err := fieldNames.add(fmt.Sprintf("MetadataFields[%d].Name", i), m.Name); err != nil {
			return err
		}
		if _, ok := metadataDataTypes[strings.ToLower(m.DataType)]; !ok && m.DataType != "" {
			return fmt.Errorf("MetadataFields[%d].DataType: %q is not a known type", i, m.DataType)
		}
	}
	for i, p := range s.EnrollmentPatterns {
		if p.Name == "" || p.Template == "" {
			return fmt.Errorf("EnrollmentPatterns[%d]: Name and Template are required", i)
		}
		if !seenTemplate(s.Templates, p.Template) {
			return fmt.Errorf("EnrollmentPatterns[%d].Template: %q is not a template of the inventory", i, p.Template)
		}
	}
	return nil
}

// uniqueNames checks that names are given and used once, ignoring case, as the simulator looks
// CAs, templates and metadata fields up by name (seenTemplate, for one).
type uniqueNames map[string]bool

func (u uniqueNames) add(field, name string) error {
	if name == "" {
		return fmt.Errorf("%s: required", field)
	}
	key := strings.ToLower(name)
	if u[key] {
		return fmt.Errorf("%s: %q is used twice", field, name)
	}
	u[key] = true
	return nil
}

func seenTemplate(templates []InventoryTemplate, name string) bool {
	for _, t := range templates {
		if strings.EqualFold(t.CommonName, name) {
			return true
		}
	}
	return false
}
