package commandtest

import (
	"strings"
	"testing"
	"time"
)

type pqlItem struct {
	name  string
	state int64
	when  time.Time
	note  *string
}

var pqlTestSchema = querySchema(func(name string) (fieldDef, bool) {
	switch strings.ToLower(name) {
	case "name":
		return fieldDef{name: "Name", kind: kindString, get: func(it any) fieldValue { return fieldValue{strs: []string{it.(pqlItem).name}} }}, true
	case "dn":
		return fieldDef{name: "DN", kind: kindString, dn: true, get: func(it any) fieldValue { return fieldValue{strs: []string{it.(pqlItem).name}} }}, true
	case "certstate":
		return fieldDef{name: "CertState", kind: kindInt, get: func(it any) fieldValue { return fieldValue{num: it.(pqlItem).state} }}, true
	case "when":
		return fieldDef{name: "When", kind: kindDate, get: func(it any) fieldValue { return fieldValue{date: it.(pqlItem).when} }}, true
	case "note":
		return fieldDef{name: "Note", kind: kindString, get: func(it any) fieldValue {
			n := it.(pqlItem).note
			if n == nil {
				return fieldValue{null: true}
			}
			return fieldValue{strs: []string{*n}}
		}}, true
	}
	return fieldDef{}, false
})

func TestPQLEvaluation(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	note := "it's here"
	items := []pqlItem{
		{name: "web.example.com", state: 1, when: now.Add(-48 * time.Hour)},
		{name: "API.example.com", state: 2, when: now, note: &note},
		{name: "CN=x, O=y", state: 6, when: now.Add(72 * time.Hour)},
	}
	tests := []struct {
		query string
		want  string // names of matching items, comma-joined
	}{
		{``, "web.example.com,API.example.com,CN=x, O=y"},
		{`Name -eq "api.EXAMPLE.com"`, "API.example.com"},
		{`name -ne "web.example.com"`, "API.example.com,CN=x, O=y"},
		{`Name -contains "example"`, "web.example.com,API.example.com"},
		{`Name -notcontains "example"`, "CN=x, O=y"},
		{`Name -startswith "web"`, "web.example.com"},
		{`Name -endswith ".COM"`, "web.example.com,API.example.com"},
		{`CertState -eq 2`, "API.example.com"},
		{`CertState -eq "6"`, "CN=x, O=y"},
		{`CertState -ge 2`, "API.example.com,CN=x, O=y"},
		{`CertState -lt 2 OR CertState -gt 5`, "web.example.com,CN=x, O=y"},
		{`CertState -eq 1 AND Name -contains "web"`, "web.example.com"},
		{`CertState -eq 1 AND Name -contains "api"`, ""},
		{`(CertState -eq 1 OR CertState -eq 2) AND Name -startswith "api"`, "API.example.com"},
		{`CertState -eq 1 OR CertState -eq 2 AND Name -startswith "api"`, "web.example.com,API.example.com"},
		{`((Name -eq 'web.example.com'))`, "web.example.com"},
		{`Note -eq NULL`, "web.example.com,CN=x, O=y"},
		{`Note -ne NULL`, "API.example.com"},
		{`Note -eq "it's here"`, "API.example.com"},
		{`Note -contains "IT"`, "API.example.com"},
		{`DN -eq "cn=x,o=y"`, "CN=x, O=y"},
		{`When -eq "2026-03-10"`, "API.example.com"},
		{`When -lt "2026-03-10"`, "web.example.com"},
		{`When -le "2026-03-10"`, "web.example.com,API.example.com"},
		{`When -gt "2026-03-10"`, "CN=x, O=y"},
		{`When -ge "2026-03-10T12:00:00Z"`, "API.example.com,CN=x, O=y"},
		{`When -gt %TODAY%`, "CN=x, O=y"},
		{`When -le %TODAY-2%`, "web.example.com"},
		{`When -ge %TODAY+3%`, "CN=x, O=y"},
		{`name -eq "a ""quoted"" name"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			pred, err := parsePQL(tt.query, pqlTestSchema, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				if pred(it) {
					got = append(got, it.name)
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("got %q, want %q", strings.Join(got, ","), tt.want)
			}
		})
	}
}

func TestPQLErrors(t *testing.T) {
	tests := []struct{ query, wantErr string }{
		{`Nope -eq 1`, "unknown field 'Nope'"},
		{`Name -like "x"`, "unknown operator '-like'"},
		{`Name "x"`, "expected an operator"},
		{`Name -eq`, "expected a value"},
		{`Name -eq "x`, "unterminated"},
		{`(Name -eq "x"`, "missing ')'"},
		{`Name -eq "x")`, "unexpected ')'"},
		{`Name -eq "x" AND`, "ends where a comparison"},
		{`AND Name -eq "x"`, "expected a field name"},
		{`Name -eq "x" Name -eq "y"`, "unexpected 'Name'"},
		{`CertState -eq Revoked`, "Invalid CertState value: Revoked."},
		{`CertState -contains 1`, "cannot be used"},
		{`Name -lt "x"`, "cannot be used with the text field"},
		{`When -eq "yesterday"`, "not a valid date"},
		{`When -contains "2020"`, "cannot be used"},
		{`Name -startswith NULL`, "NULL can only"},
		{`()`, "expected a field name"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, err := parsePQL(tt.query, pqlTestSchema, time.Now())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
