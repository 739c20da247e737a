package compattest

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/realvault"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// Issue 14 on a real Vault: requests Command holds for approval are remembered, so a client
// that retries receives the certificate once an approver acts, with exactly one Command request;
// and Command's inventory names the Vault entity and role that asked (metadata_from_request).

const (
	enrollCounter       = "POST /Enrollment/CSR"
	workflowGetCounter  = "GET /Workflow/Certificates/{id}"
	approvalRoleMapping = `{"VaultEntity":"entity_name","VaultRole":"role"}`
)

// startApprovalVault starts Vault and a simulator that defines the VaultEntity and VaultRole
// metadata fields, with the plugin at pki/ and a role on the approval template.
func startApprovalVault(t *testing.T) *realvault.Env {
	t.Helper()
	env := startRealVault(t, "-metadata-field", "VaultEntity", "-metadata-field", "VaultRole")
	if err := env.EnablePlugin("pki"); err != nil {
		t.Fatal(err)
	}
	if err := env.ConfigureBasic("pki"); err != nil {
		t.Fatal(err)
	}
	mustVault(t, env, "write", "pki/roles/approval", "allowed_domains=example.com", "allow_subdomains=true",
		"template="+commandtest.ApprovalTemplate, "metadata_from_request="+approvalRoleMapping)
	return env
}

// pendingIDs lists pki/pending over the HTTP API (Vault answers an empty list with 404).
func pendingIDs(t *testing.T, env *realvault.Env) []string {
	t.Helper()
	status, _, body, err := env.Do(context.Background(), "LIST", "pki/pending", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if status == http.StatusNotFound {
		return nil
	}
	var answer struct {
		Data struct {
			Keys []string `json:"keys"`
		} `json:"data"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &answer) != nil {
		t.Fatalf("LIST pki/pending: %d %s", status, body)
	}
	return answer.Data.Keys
}

func simCounters(t *testing.T, env *realvault.Env) commandtest.Counters {
	t.Helper()
	c, err := env.SimCounters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestApprovalVaultAgentRetriesUntilApproved: Vault Agent renders a pkiCert template from a role
// whose Command template requires approval. The agent's retries check the held request instead
// of filing new ones; once approved through the simulator, the agent renders the certificate
// and key Vault kept, and Command saw exactly one enrollment.
func TestApprovalVaultAgentRetriesUntilApproved(t *testing.T) {
	env := startApprovalVault(t)
	root := simRoot(t, env)
	ctx := context.Background()
	if err := env.ResetSimCounters(ctx); err != nil {
		t.Fatal(err)
	}

	files := newAgentFiles(t.TempDir(), "approval")
	agent := startAgent(t, env, "approval", []realvault.AgentTemplate{
		pkiCertTemplate("pki/issue/approval", "agent.example.com", files),
	})

	// Wait until the agent has asked at least twice: the request is held and remembered, and a
	// retry has checked it in Command.
	var requestID string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		if ids := pendingIDs(t, env); len(ids) == 1 && simCounters(t, env).Requests[workflowGetCounter] >= 1 {
			requestID = ids[0]
			break
		}
		if agent.Exited() || time.Now().After(deadline) {
			t.Fatalf("the agent's request was not held and retried (exited: %v, counters %+v)", agent.Exited(), simCounters(t, env).Requests)
		}
	}
	var pending vaultSecret
	mustVaultJSON(t, env, &pending, "read", "pki/pending/"+requestID)
	if pending.str(t, "state") != "pending" || pending.str(t, "role") != "approval" || pending.str(t, "common_name") != "agent.example.com" {
		t.Fatalf("pki/pending/%s: %s", requestID, pending.Data)
	}

	id, err := strconv.Atoi(requestID)
	if err != nil {
		t.Fatal(err)
	}
	approvedAt := time.Now()
	if err := env.ApproveSimRequest(ctx, id); err != nil {
		t.Fatal(err)
	}
	var rendered *agentRendering
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		if r, err := readAgentRendering(files); err == nil {
			rendered = r
			break
		}
		if agent.Exited() || time.Now().After(deadline) {
			t.Fatalf("the agent did not render after approval (exited: %v)", agent.Exited())
		}
	}
	renderDelay := time.Since(approvedAt)
	checkAgentRendering(t, files, rendered, "agent.example.com", root)

	counters := simCounters(t, env)
	// Each agent retry checked the held request once (GET /Workflow/Certificates/{id}), as did
	// the test's read of pki/pending/<id>; the first attempt filed it.
	attempts := 1 + counters.Requests[workflowGetCounter] - 1
	t.Logf("agent with approval: %d agent attempts reached the plugin, %d Command enrollment requests, %s from approval to render",
		attempts, counters.Requests[enrollCounter], renderDelay.Round(10*time.Millisecond))
	if n := counters.Requests[enrollCounter]; n != 1 {
		t.Errorf("Command received %d enrollment requests, want exactly 1", n)
	}
	if ids := pendingIDs(t, env); len(ids) != 0 {
		t.Errorf("pki/pending still lists %v after delivery", ids)
	}
	serial := colonHex(rendered.leaf.SerialNumber.Bytes())
	var rec vaultSecret
	mustVaultJSON(t, env, &rec, "read", "pki/cert/"+serial)
	if parseCertPEM(t, rec.str(t, "certificate")).SerialNumber.Cmp(rendered.leaf.SerialNumber) != 0 {
		t.Errorf("pki/cert/%s is not the rendered certificate", serial)
	}
	certs, err := env.CommandCertificatesByCN(ctx, "agent.example.com")
	if err != nil || len(certs) != 1 || certs[0].Metadata["VaultRole"] != "approval" {
		t.Errorf("Command's inventory: %+v (%v); want one certificate with VaultRole=approval", certs, err)
	}
}

// TestApprovalSignRetryAndDenial: sign/ (cert-manager's shape) retried with the same CSR until
// approved returns the certificate with one Command request; a denied request answers 400 with
// the approver's comment and is forgotten.
func TestApprovalSignRetryAndDenial(t *testing.T) {
	env := startApprovalVault(t)
	ctx := context.Background()
	csr := writeCSR(t, "signed.example.com")
	sign := []string{"write", "pki/sign/approval", "csr=@" + csr, "common_name=signed.example.com"}

	_, err := env.Vault(sign...)
	if err == nil || !strings.Contains(err.Error(), "Code: 409") || !strings.Contains(err.Error(), "pending approval") {
		t.Fatalf("first sign: want 409 pending approval, got %v", err)
	}
	ids := pendingIDs(t, env)
	if len(ids) != 1 {
		t.Fatalf("pending %v", ids)
	}
	for i := 0; i < 3; i++ {
		if _, err := env.Vault(sign...); err == nil || !strings.Contains(err.Error(), "request "+ids[0]+" is pending") {
			t.Fatalf("retry %d: want the same pending error, got %v", i, err)
		}
	}
	id, _ := strconv.Atoi(ids[0])
	if err := env.ApproveSimRequest(ctx, id); err != nil {
		t.Fatal(err)
	}
	var signed vaultSecret
	mustVaultJSON(t, env, &signed, append([]string{}, sign...)...)
	if cert := parseCertPEM(t, signed.str(t, "certificate")); cert.Subject.CommonName != "signed.example.com" {
		t.Fatalf("signed %s", cert.Subject)
	}
	if _, has := signed.Data["private_key"]; has {
		t.Error("sign/ answered a private key")
	}
	if n := simCounters(t, env).Requests[enrollCounter]; n != 1 {
		t.Errorf("Command received %d enrollment requests for one approved sign, want 1", n)
	}

	// Denial: the retry answers 400 with the comment, and the request is forgotten.
	denied := writeCSR(t, "denied.example.com")
	deny := []string{"write", "pki/sign/approval", "csr=@" + denied, "common_name=denied.example.com"}
	if _, err := env.Vault(deny...); err == nil || !strings.Contains(err.Error(), "Code: 409") {
		t.Fatalf("want 409, got %v", err)
	}
	ids = pendingIDs(t, env)
	if len(ids) != 1 {
		t.Fatalf("pending %v", ids)
	}
	id, _ = strconv.Atoi(ids[0])
	if err := env.DenySimRequest(ctx, id, "not for this environment"); err != nil {
		t.Fatal(err)
	}
	_, err = env.Vault(deny...)
	if err == nil || !strings.Contains(err.Error(), "Code: 400") || !strings.Contains(err.Error(), "was denied in the CA: not for this environment") {
		t.Fatalf("after denial: want 400 naming the denial, got %v", err)
	}
	if ids := pendingIDs(t, env); len(ids) != 0 {
		t.Errorf("a denied request is still listed: %v", ids)
	}
}

// TestApprovalMetadataNamesTheRequester: with metadata_from_request, the certificate Command
// records names the Vault entity and role that asked, for tokens of two different entities;
// a role naming a field Command does not define is refused.
func TestApprovalMetadataNamesTheRequester(t *testing.T) {
	env := startApprovalVault(t)
	ctx := context.Background()
	if _, err := env.Vault("write", "pki/roles/bad", "allow_any_name=true", `metadata_from_request={"VaultTeam":"entity_name"}`); err == nil ||
		!strings.Contains(err.Error(), `the CA has no metadata field "VaultTeam"`) {
		t.Fatalf("a role naming an undefined Command field: want 400 naming it, got %v", err)
	}
	mustVault(t, env, "write", "pki/roles/trace", "allowed_domains=example.com", "allow_subdomains=true",
		"metadata_from_request="+approvalRoleMapping)

	policy := filepath.Join(t.TempDir(), "issue.hcl")
	if err := os.WriteFile(policy, []byte(`path "pki/issue/*" { capabilities = ["update"] }`), 0o600); err != nil {
		t.Fatal(err)
	}
	mustVault(t, env, "policy", "write", "pki-issue", policy)
	var auths map[string]struct {
		Accessor string `json:"accessor"`
	}
	mustVaultJSON(t, env, &auths, "auth", "list")
	mustVault(t, env, "write", "auth/token/roles/issuer", "allowed_policies=pki-issue", "allowed_entity_aliases=alice-alias,bob-alias", "orphan=true")
	for _, name := range []string{"alice", "bob"} {
		var entity vaultSecret
		mustVaultJSON(t, env, &entity, "write", "identity/entity", "name="+name)
		mustVault(t, env, "write", "identity/entity-alias", "name="+name+"-alias", "canonical_id="+entity.str(t, "id"),
			"mount_accessor="+auths["token/"].Accessor)
		var created struct {
			Auth struct {
				ClientToken string `json:"client_token"`
			} `json:"auth"`
		}
		mustVaultJSON(t, env, &created, "token", "create", "-role=issuer", "-entity-alias="+name+"-alias", "-policy=pki-issue")
		cn := name + ".trace.example.com"
		var issued json.RawMessage
		if err := env.VaultJSONAs(created.Auth.ClientToken, &issued, "write", "pki/issue/trace", "common_name="+cn); err != nil {
			t.Fatalf("%s issuing: %v", name, err)
		}
		certs, err := env.CommandCertificatesByCN(ctx, cn)
		if err != nil || len(certs) != 1 {
			t.Fatalf("%s: Command's inventory %+v (%v)", name, certs, err)
		}
		if certs[0].Metadata["VaultEntity"] != name || certs[0].Metadata["VaultRole"] != "trace" {
			t.Errorf("%s: Command's inventory metadata %v, want VaultEntity=%s VaultRole=trace", name, certs[0].Metadata, name)
		}
	}
}
