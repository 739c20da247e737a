package keyfactor

// Conformance with Keyfactor's own API models: every JSON body the driver sends must decode,
// with unknown fields disallowed, into the request model Keyfactor's generated SDK
// (keyfactor-go-client-sdk/v25, generated from Command 25.1's swagger) has for that operation,
// and every JSON body the simulator answers must decode the same way into the SDK's response
// model, so field names and JSON types agree with Command's published contract. The SDK is a
// test-only dependency: only this file imports it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	kf "github.com/Keyfactor/keyfactor-go-client-sdk/v25/api/keyfactor/v1"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// sdkOperation is one Command operation with the SDK models of its bodies.
type sdkOperation struct {
	method  string
	path    *regexp.Regexp // below the API base
	request func() any     // nil: the operation takes no body
	answer  func() any
	// allowed are answer fields the SDK model lacks, as dotted paths ("[]" for list items),
	// each with its evidence in allowListEvidence.
	allowed []string
}

var sdkOperations = []sdkOperation{
	{method: "GET", path: regexp.MustCompile(`^/Status/Endpoints$`), answer: func() any { return new([]string) }},
	{method: "GET", path: regexp.MustCompile(`^/Templates$`), answer: func() any { return new([]kf.TemplatesTemplateCollectionRetrievalResponse) }},
	{method: "GET", path: regexp.MustCompile(`^/Templates/\d+$`), answer: func() any { return new(kf.TemplatesTemplateRetrievalResponse) }},
	{method: "GET", path: regexp.MustCompile(`^/CertificateAuthority$`), answer: func() any { return new([]kf.CertificateAuthoritiesCertificateAuthorityResponse) }},
	{method: "GET", path: regexp.MustCompile(`^/CertificateAuthority/\d+$`), answer: func() any { return new(kf.CertificateAuthoritiesCertificateAuthorityResponse) }},
	{method: "GET", path: regexp.MustCompile(`^/Enrollment/CSR/Context/My$`), answer: func() any { return new(kf.KeyfactorWebCoreModelsEnrollmentEnrollmentTemplateCAResponse) }},
	{method: "POST", path: regexp.MustCompile(`^/Enrollment/CSR$`),
		request: func() any { return new(kf.EnrollmentCSREnrollmentRequest) },
		answer:  func() any { return new(kf.CSSCMSDataModelModelsEnrollmentCSREnrollmentResponse) }},
	{method: "GET", path: regexp.MustCompile(`^/Certificates$`), answer: func() any { return new([]kf.CertificatesCertificateRetrievalResponse) },
		allowed: []string{"[].CertificateKeyId"}},
	{method: "GET", path: regexp.MustCompile(`^/Certificates/\d+$`), answer: func() any { return new(kf.CertificatesCertificateRetrievalResponse) },
		allowed: []string{"CertificateKeyId"}},
	{method: "POST", path: regexp.MustCompile(`^/Certificates/Download$`),
		request: func() any { return new(kf.CertificatesCertificateDownloadRequest) },
		answer:  func() any { return new(kf.CSSCMSDataModelModelsCertificateDownloadResponse) }},
	{method: "POST", path: regexp.MustCompile(`^/Certificates/Revoke$`),
		request: func() any { return new(kf.CertificatesRevokeCertificateRequest) },
		answer:  func() any { return new(kf.CertificatesRevocationResponse) }},
	{method: "GET", path: regexp.MustCompile(`^/MetadataFields$`), answer: func() any { return new([]kf.CSSCMSDataModelModelsMetadataType) }},
	{method: "GET", path: regexp.MustCompile(`^/MetadataFields/\d+$`), answer: func() any { return new(kf.CSSCMSDataModelModelsMetadataType) }},
	{method: "GET", path: regexp.MustCompile(`^/EnrollmentPatterns$`), answer: func() any { return new([]kf.EnrollmentPatternsEnrollmentPatternResponse) }},
	{method: "GET", path: regexp.MustCompile(`^/EnrollmentPatterns/\d+$`), answer: func() any { return new(kf.EnrollmentPatternsEnrollmentPatternResponse) }},
	{method: "GET", path: regexp.MustCompile(`^/Workflow/Certificates/(Pending|Denied)$`), answer: func() any { return new([]kf.CSSCMSDataModelModelsWorkflowCertificateRequestModel) }},
}

// allowListEvidence names, per allowed field, why the simulator keeps a field the SDK's model
// lacks. Keep it short: every entry is a place where the simulator goes beyond Keyfactor's
// generated contract.
var allowListEvidence = map[string]string{
	"CertificateKeyId":    "in ModelsCertificateRetrievalResponse of Keyfactor's SDK generated from Command 10's swagger; dropped from the v25 model",
	"[].CertificateKeyId": "same field, in each entry of GET /Certificates",
}

// exchange is one request/answer pair seen on the wire.
type exchange struct {
	method, path    string
	status          int
	request, answer []byte
}

// recorder is an http.RoundTripper that keeps a copy of every API exchange.
type recorder struct {
	base    http.RoundTripper
	apiPath string
	mu      sync.Mutex
	seen    []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	if rel, ok := strings.CutPrefix(req.URL.Path, "/"+r.apiPath); ok {
		r.mu.Lock()
		r.seen = append(r.seen, exchange{method: req.Method, path: rel, status: resp.StatusCode, request: body, answer: answer})
		r.mu.Unlock()
	}
	return resp, nil
}

func findOperation(method, path string) *sdkOperation {
	for i := range sdkOperations {
		if op := &sdkOperations[i]; op.method == method && op.path.MatchString(path) {
			return op
		}
	}
	return nil
}

// strictDecode decodes body into model with unknown fields disallowed and nothing left over.
func strictDecode(body []byte, model any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(model); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// withoutAllowed removes the allow-listed fields from a JSON answer before strict decoding.
func withoutAllowed(body []byte, allowed []string) ([]byte, error) {
	if len(allowed) == 0 {
		return body, nil
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	for _, path := range allowed {
		doc = dropPath(doc, strings.Split(path, "."))
	}
	return json.Marshal(doc)
}

func dropPath(doc any, path []string) any {
	switch v := doc.(type) {
	case []any:
		if path[0] == "[]" {
			for i := range v {
				v[i] = dropPath(v[i], path[1:])
			}
		}
	case map[string]any:
		if len(path) == 1 {
			delete(v, path[0])
		} else if next, ok := v[path[0]]; ok {
			v[path[0]] = dropPath(next, path[1:])
		}
	}
	return doc
}

// conformanceCounts is what the suite checked, reported by the test log.
type conformanceCounts struct {
	operations      map[string]bool
	requestsDecoded int
	answersDecoded  int
}

func (c *conformanceCounts) check(t *testing.T, seen []exchange) {
	t.Helper()
	for _, ex := range seen {
		op := findOperation(ex.method, ex.path)
		if op == nil {
			t.Errorf("%s %s: no SDK model mapped for this operation", ex.method, ex.path)
			continue
		}
		c.operations[op.method+" "+op.path.String()] = true
		if len(bytes.TrimSpace(ex.request)) > 0 {
			if op.request == nil {
				t.Errorf("%s %s: the driver sent a body to an operation that takes none", ex.method, ex.path)
			} else if err := strictDecode(ex.request, op.request()); err != nil {
				t.Errorf("%s %s: request body does not match the SDK's request model: %v\n%s", ex.method, ex.path, err, ex.request)
			} else {
				c.requestsDecoded++
			}
		}
		if ex.status < 200 || ex.status > 299 || len(bytes.TrimSpace(ex.answer)) == 0 {
			continue
		}
		body, err := withoutAllowed(ex.answer, op.allowed)
		if err == nil {
			err = strictDecode(body, op.answer())
		}
		if err != nil {
			t.Errorf("%s %s: answer does not match the SDK's response model: %v\n%.600s", ex.method, ex.path, err, ex.answer)
			continue
		}
		c.answersDecoded++
	}
}

// TestConformanceWithKeyfactorSDK drives every driver operation against the simulator (oldest
// and newest profile), and reads the simulator's other endpoints directly, checking each body.
func TestConformanceWithKeyfactorSDK(t *testing.T) {
	counts := &conformanceCounts{operations: map[string]bool{}}
	for _, profile := range []commandtest.Profile{commandtest.Profile10, commandtest.Profile25} {
		t.Run(fmt.Sprint(int(profile)), func(t *testing.T) {
			srv := startSim(t, profile, nil)
			d := simDriver(t, simConf(srv, authKindBasic, nil, nil))
			rec := &recorder{base: d.client.Transport, apiPath: srv.APIPath}
			d.client.Transport = rec
			ctx := context.Background()

			if _, err := d.CheckConnection(ctx); err != nil {
				t.Fatal(err)
			}
			req := signRequest(t, "conformance.example.com")
			req.Metadata = map[string]string{commandtest.MetadataOwner: "team-a"}
			issued, err := d.Sign(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.CAChain(ctx, ""); err != nil {
				t.Fatal(err)
			}
			id, err := strconv.ParseInt(issued.CertificateID, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.downloadChain(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := d.stateInCommand(ctx, issued.CertificateID, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Revoke(ctx, &cadriver.RevokeRequest{Certificate: issued.Certificate}); err != nil {
				t.Fatal(err)
			}
			if _, err := d.RevokedSince(ctx, "", time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			pending := signRequest(t, "pending.example.com")
			pending.Template = commandtest.ApprovalTemplate
			if _, err := d.Sign(ctx, pending); err == nil {
				t.Fatal("approval template issued at once")
			}
			// Endpoints the driver does not call, read through the same client and recorder.
			paths := []string{"/Templates/1", "/CertificateAuthority/1", "/MetadataFields", "/MetadataFields/1",
				"/Workflow/Certificates/Pending", "/Workflow/Certificates/Denied"}
			if profile >= commandtest.Profile25 {
				paths = append(paths, "/EnrollmentPatterns", "/EnrollmentPatterns/1")
			}
			for _, p := range paths {
				if _, err := d.callJSON(ctx, apiCall{method: http.MethodGet, path: strings.Split(strings.Trim(p, "/"), "/"), readOnly: true}, errorPolicy{}, nil); err != nil {
					t.Fatalf("GET %s: %v", p, err)
				}
			}
			counts.check(t, rec.seen)
		})
	}
	var ops []string
	for op := range counts.operations {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	allowed := 0
	for _, op := range sdkOperations {
		allowed += len(op.allowed)
	}
	t.Logf("conformance: %d operations covered, %d request bodies and %d answers decoded strictly, %d allow-listed fields",
		len(ops), counts.requestsDecoded, counts.answersDecoded, allowed)
	if len(ops) < len(sdkOperations) {
		t.Errorf("only %d of %d mapped operations were exercised: %v", len(ops), len(sdkOperations), ops)
	}
	if counts.requestsDecoded == 0 || counts.answersDecoded == 0 {
		t.Fatal("nothing was decoded")
	}
	for _, op := range sdkOperations {
		for _, f := range op.allowed {
			if allowListEvidence[f] == "" {
				t.Errorf("allow-listed field %s of %s has no evidence", f, op.path)
			}
		}
	}
}
