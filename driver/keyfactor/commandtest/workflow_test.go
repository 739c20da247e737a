package commandtest

import (
	"net/url"
	"testing"
)

type pendingSummary struct {
	ID                   int `json:"Id"`
	CommonName           *string
	CertificateAuthority string
	Template             string
	Requester            string
	State                int
	Metadata             map[string]string
}

func TestWorkflowApproveAndDeny(t *testing.T) {
	s := newTestServer(t)
	submit := func(cn string) int {
		_, out := enroll(t, s, map[string]any{"Template": ApprovalTemplate, "CSR": makeCSR(t, nil, cn), "Metadata": map[string]any{"Owner": "o"}})
		if out.CertificateInformation.RequestDisposition != dispositionPending {
			t.Fatalf("not pending: %+v", out)
		}
		if out.CertificateInformation.WorkflowInstanceID == nil || *out.CertificateInformation.WorkflowInstanceID == zeroUUID {
			t.Fatal("a pending request in Command 25 carries a workflow instance id")
		}
		return out.CertificateInformation.KeyfactorRequestID
	}
	r1, r2, r3 := submit("one.example.com"), submit("two.example.com"), submit("three.example.com")

	var pending []pendingSummary
	do(t, s, call{method: "GET", path: "/Workflow/Certificates/Pending?pagedQuery.returnLimit=1000"}).decode(t, &pending)
	if len(pending) != 3 || pending[0].ID != r1 || *pending[0].CommonName != "one.example.com" || pending[0].Template != ApprovalTemplate ||
		pending[0].Requester != `KEYFACTOR\vault-svc` || pending[0].State != certStatePending || pending[0].Metadata["Owner"] != "o" {
		t.Fatalf("pending %+v", pending)
	}

	// Approve r1 over the API; the certificate becomes findable by CertRequestId.
	var res workflowResponse
	do(t, s, call{method: "POST", path: "/Workflow/Certificates/Approve", body: []int{r1, 424242}}).decode(t, &res)
	if len(res.Successes) != 1 || res.Successes[0].KeyfactorRequestID != r1 || len(res.Failures) != 1 {
		t.Fatalf("approve %+v", res)
	}
	r, found := search(t, s, url.Values{"QueryString": {"CertRequestId -eq " + itoa(r1)}})
	if r.status != 200 || len(found) != 1 || *found[0].IssuedCN != "one.example.com" {
		t.Fatalf("approved certificate: %d %+v", r.status, found)
	}
	// Approving twice fails the second time.
	do(t, s, call{method: "POST", path: "/Workflow/Certificates/Approve", body: []int{r1}}).decode(t, &res)
	if len(res.Failures) != 1 || len(res.Successes) != 0 {
		t.Fatalf("second approve %+v", res)
	}

	// Deny r2 over the API and r3 from Go.
	do(t, s, call{method: "POST", path: "/Workflow/Certificates/Deny", body: map[string]any{"Comment": "no", "CertificateRequestIds": []int{r2}}}).decode(t, &res)
	if len(res.Denials) != 1 || res.Denials[0].Comment != "no" {
		t.Fatalf("deny %+v", res)
	}
	if err := s.DenyRequest(r3, "nope"); err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveRequest(r3); err == nil {
		t.Fatal("approving a denied request succeeded")
	}
	do(t, s, call{method: "GET", path: "/Workflow/Certificates/Pending"}).decode(t, &pending)
	if len(pending) != 0 {
		t.Fatalf("still pending %+v", pending)
	}
	do(t, s, call{method: "GET", path: "/Workflow/Certificates/Denied"}).decode(t, &pending)
	if len(pending) != 2 {
		t.Fatalf("denied %+v", pending)
	}
	var one pendingSummary
	do(t, s, call{method: "GET", path: "/Workflow/Certificates/" + itoa(r2)}).decode(t, &one)
	if one.State != certStateDenied {
		t.Fatalf("request %+v", one)
	}
	if r := do(t, s, call{method: "GET", path: "/Workflow/Certificates/5"}); r.status != 404 {
		t.Fatalf("unknown request: %d", r.status)
	}
}

func TestApproveRequestFromGo(t *testing.T) {
	s := newTestServer(t)
	_, out := enroll(t, s, map[string]any{"Template": ApprovalTemplate})
	reqID := out.CertificateInformation.KeyfactorRequestID
	if err := s.ApproveRequest(reqID); err != nil {
		t.Fatal(err)
	}
	_, found := search(t, s, url.Values{"QueryString": {"CertRequestId -eq " + itoa(reqID)}})
	if len(found) != 1 {
		t.Fatalf("found %d", len(found))
	}
	if err := s.ApproveRequest(12); err == nil {
		t.Fatal("unknown request approved")
	}
}
