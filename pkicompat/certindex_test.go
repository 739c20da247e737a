package pkicompat_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

// listCerts answers LIST certs/ through the engine.
func (m *countedMount) listCerts() []string {
	m.t.Helper()
	resp, err := m.backend.HandleRequest(context.Background(), &logical.Request{
		Operation: logical.ListOperation, Path: "certs/", Storage: m.storage,
	})
	if err != nil || resp == nil || resp.IsError() {
		m.t.Fatalf("LIST certs/: %v %v", err, resp)
	}
	// What a client reads: the keys as Vault's HTTP layer encodes them.
	raw, err := json.Marshal(resp.Data["keys"])
	if err != nil {
		m.t.Fatalf("LIST certs/ keys do not encode: %v", err)
	}
	var keys []string
	if err := json.Unmarshal(raw, &keys); err != nil {
		m.t.Fatalf("LIST certs/ keys %s: %v", raw, err)
	}
	return keys
}

// storedSerials is certs/ as storage holds it, in the display form LIST answers.
func (m *countedMount) storedSerials() []string {
	m.t.Helper()
	keys, err := m.storage.Storage.List(context.Background(), "certs/")
	if err != nil {
		m.t.Fatal(err)
	}
	out := []string{}
	for _, k := range keys {
		out = append(out, strings.ReplaceAll(k, "-", ":"))
	}
	return out
}

func (m *countedMount) mustListAsStored(when string) []string {
	m.t.Helper()
	got, want := m.listCerts(), m.storedSerials()
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		m.t.Fatalf("%s: LIST certs/ = %v, storage holds %v", when, got, want)
	}
	return got
}

// LIST certs/ reads storage once, then answers from memory, following this node's issuances
// and revocations and another node's writes (which Vault announces through invalidation).
func TestListCertsFromMemoryFollowsWrites(t *testing.T) {
	m := newCountedMount(t)
	listsBefore := m.storage.listCount("certs/") // the upgrade check at Initialize lists once
	for i := 0; i < 3; i++ {
		m.issueNotAfter()
	}
	if got := m.mustListAsStored("after 3 issuances"); len(got) != 3 {
		t.Fatalf("LIST certs/ = %v, want 3 serials", got)
	}
	for i := 0; i < 2; i++ {
		m.issueNotAfter()
	}
	listed := m.mustListAsStored("after 2 more issuances")
	if len(listed) != 5 {
		t.Fatalf("LIST certs/ = %v, want 5 serials", listed)
	}
	m.write("revoke", map[string]interface{}{"serial_number": listed[0]})
	m.mustListAsStored("after a revocation")
	if n := m.storage.listCount("certs/") - listsBefore; n != 1 {
		t.Fatalf("4 LISTs read certs/ from storage %d times, want 1", n)
	}

	// Another node stores a record and removes one: storage changes, then Vault invalidates.
	ctx := context.Background()
	if err := m.storage.Put(ctx, &logical.StorageEntry{Key: "certs/01-02-03", Value: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	m.backend.InvalidateKey(ctx, "certs/01-02-03")
	if got := m.mustListAsStored("after another node's write"); !slices.Contains(got, "01:02:03") {
		t.Fatalf("LIST certs/ = %v, want 01:02:03 in it", got)
	}
	removed := "certs/" + strings.ReplaceAll(listed[1], ":", "-")
	if err := m.storage.Delete(ctx, removed); err != nil {
		t.Fatal(err)
	}
	m.backend.InvalidateKey(ctx, removed)
	if got := m.mustListAsStored("after another node's delete"); slices.Contains(got, listed[1]) {
		t.Fatalf("LIST certs/ = %v still holds %s", got, listed[1])
	}
}
