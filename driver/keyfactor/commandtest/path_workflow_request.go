package commandtest

// requestDetailModel is GET /Workflow/Certificates/{id}: the listing's fields plus the denial's
// comment (Keyfactor's keyfactor-go-client-sdk: WorkflowCertificatesIdGet returns
// CertRequestResponseModel, which adds DenialComment, KeyLength, SANs, CertStores and Curve to
// the pending list's fields; the simulator sends DenialComment, null until a denial).
type requestDetailModel struct {
	pendingRequestModel
	DenialComment *string `json:"DenialComment"`
}

// requestDetail renders one request; s.store.mu is held.
func requestDetail(req *requestRecord) requestDetailModel {
	m := requestDetailModel{pendingRequestModel: requestModel(req)}
	if req.state == certStateDenied {
		comment := req.comment
		m.DenialComment = &comment
	}
	return m
}
