package compattest

import (
	"os"
	"strings"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
)

const (
	readmeFile        = "README.md"
	readmeTableBegin  = "<!-- differences.json begins: generated, do not edit by hand -->\n"
	readmeTableEnd    = "<!-- differences.json ends -->"
	updateReadmeEnvar = "UPDATE_README"
)

// TestReadmeQuotesTheDifferencesTable keeps README.md's table of deliberate differences equal
// to differences.json, the table the comparison tests read. Run with UPDATE_README=1 to
// regenerate the README section after editing the table.
func TestReadmeQuotesTheDifferencesTable(t *testing.T) {
	table, err := compare.LoadTable(differencesFile)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	begin := strings.Index(readme, readmeTableBegin)
	end := strings.Index(readme, readmeTableEnd)
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the generated table markers", readmeFile)
	}
	want := table.Markdown()
	got := readme[begin+len(readmeTableBegin) : end]
	if got == want {
		return
	}
	if os.Getenv(updateReadmeEnvar) != "" {
		updated := readme[:begin+len(readmeTableBegin)] + want + readme[end:]
		if err := os.WriteFile(readmeFile, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's table differs from %s; run %s=1 go test -run TestReadmeQuotesTheDifferencesTable", readmeFile, differencesFile, updateReadmeEnvar)
}
