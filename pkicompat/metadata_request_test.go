package pkicompat_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// newEntityHarness mounts the engine with a system view that names every entity entityName.
func newEntityHarness(t *testing.T, entityName string) *harness {
	t.Helper()
	server, err := pkitest.New()
	if err != nil {
		t.Fatal(err)
	}
	sv := pkitest.SystemView()
	sv.PluginEnvironment = &logical.PluginEnvironment{VaultVersion: "1.21.0"}
	sv.EntityVal = &logical.Entity{ID: "ent-a", Name: entityName}
	storage := &logical.InmemStorage{}
	m := pkitest.NewMount(t, pkicompat.Factory(server.Provider()), storage, sv)
	m.MountPoint = "pki-kf/"
	return &harness{t: t, ctx: context.Background(), mount: m, storage: storage, ca: server}
}

// TestMetadataFromRequest: the role's mapping is checked against the CA's metadata fields on
// write, and each issuance sends the request's values, laid over the static metadata.
func TestMetadataFromRequest(t *testing.T) {
	h := newEntityHarness(t, "alice")
	h.configure(nil)
	h.ca.SetMetadataFields(
		cadriver.MetadataField{Name: "VaultEntity", Type: "String", TakesText: true},
		cadriver.MetadataField{Name: "VaultRole", Type: "BigText", TakesText: true},
		cadriver.MetadataField{Name: "VaultMount", Type: "String", TakesText: true},
		cadriver.MetadataField{Name: "CostCenter", Type: "Integer"},
		cadriver.MetadataField{Name: "Owner", Type: "String", TakesText: true},
	)
	base := map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true}
	with := func(mapping string) map[string]interface{} {
		out := map[string]interface{}{"metadata_from_request": mapping}
		for k, v := range base {
			out[k] = v
		}
		return out
	}
	refusals := []struct{ mapping, want string }{
		{`{"VaultEntity":"entity_nickname"}`, `"entity_nickname" for field "VaultEntity" is not a request value`},
		{`{"Missing":"role"}`, `the CA has no metadata field "Missing"`},
		{`{"CostCenter":"entity_id"}`, `metadata field "CostCenter" is of type Integer`},
		{`["role"]`, "metadata_from_request must be a JSON object"},
	}
	for _, r := range refusals {
		mustFail(t, h.write("roles/web", with(r.mapping)), http.StatusBadRequest, r.want)
	}

	mapping := `{"VaultEntity":"entity_name","VaultRole":"role","VaultMount":"mount_path","Owner":"display_name","VaultEntityID":"entity_id"}`
	h.ca.SetMetadataFields(append([]cadriver.MetadataField{{Name: "VaultEntityID", Type: "String", TakesText: true}},
		cadriver.MetadataField{Name: "VaultEntity", Type: "String", TakesText: true},
		cadriver.MetadataField{Name: "VaultRole", Type: "BigText", TakesText: true},
		cadriver.MetadataField{Name: "VaultMount", Type: "String", TakesText: true},
		cadriver.MetadataField{Name: "Owner", Type: "String", TakesText: true})...)
	role := with(mapping)
	role["metadata"] = `{"Owner":"static-owner","AppCode":"app1"}`
	mustOK(t, h.write("roles/web", role))
	if got := h.read("roles/web").data(t)["metadata_from_request"]; got != mapping {
		t.Fatalf("metadata_from_request read back as %v", got)
	}

	// The caller's metadata cannot rename the requester.
	mustOK(t, h.doRequest(&logical.Request{Operation: logical.UpdateOperation, Path: "issue/web", EntityID: "ent-a", DisplayName: "token-alice",
		Data: map[string]interface{}{"common_name": "m.example.com", "metadata": `{"VaultEntity":"mallory","AppCode":"app2"}`}}))
	sent := h.ca.SignRequests()
	got := sent[len(sent)-1].Metadata
	want := map[string]string{"VaultEntity": "alice", "VaultEntityID": "ent-a", "VaultRole": "web", "VaultMount": "pki-kf/",
		"Owner": "token-alice", "AppCode": "app2"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("metadata %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}

	// No entity (a root token): the entity fields are left out, the static value stays.
	mustOK(t, h.doRequest(&logical.Request{Operation: logical.UpdateOperation, Path: "issue/web",
		Data: map[string]interface{}{"common_name": "n.example.com"}}))
	sent = h.ca.SignRequests()
	got = sent[len(sent)-1].Metadata
	if _, has := got["VaultEntity"]; has {
		t.Errorf("a request without an entity sent VaultEntity %q", got["VaultEntity"])
	}
	if got["Owner"] != "static-owner" || got["VaultRole"] != "web" {
		t.Errorf("metadata without an entity: %v", got)
	}
}

// TestMetadataFromRequestUncheckedWarns: without a CA to ask, the role is stored with a warning.
func TestMetadataFromRequestUncheckedWarns(t *testing.T) {
	h := newHarness(t)
	r := h.write("roles/web", map[string]interface{}{"allow_any_name": true, "metadata_from_request": `{"VaultRole":"role"}`})
	mustOK(t, r)
	found := false
	for _, w := range r.resp.Warnings {
		if w == "metadata_from_request was not checked against the CA's metadata fields: the CA connection is not configured yet" {
			found = true
		}
	}
	if !found {
		t.Fatalf("warnings %q", r.resp.Warnings)
	}
}
