package commandtest

import (
	"net/http"
	"strconv"
)

// Error codes. The first four are evidenced against real Command; the rest are inferred:
// Command's codes are 0xA0 + a two-byte area + a sequence, and the certificate-API area is
// 0xA011xxxx (0xA0110007, 0xA011004A), so the simulator's own validation codes live there too.
const (
	codePermissionDenied  = "0xA0140002" // evidenced
	codeInvalidSortField  = "0xA011004A" // evidenced
	codeMissingCertFormat = "0xA0110007" // evidenced
	codeNoPrivateKey      = "0xA0110002" // evidenced (mock); unused: the simulator never holds leaf keys

	codeInvalidRequest     = "0xA0110001" // Inferred: malformed body, missing or bad field
	codeMissingHeader      = "0xA0110003" // Inferred: x-keyfactor-requested-with absent
	codeUnsupportedVersion = "0xA0110004" // Inferred: x-keyfactor-api-version not offered for the endpoint
	codeInvalidCSR         = "0xA0110005" // Inferred
	codeUnknownCA          = "0xA0110006" // Inferred
	codeUnknownTemplate    = "0xA0110008" // Inferred
	codeTemplateNotAllowed = "0xA0110009" // Inferred: template lacks the CSR enrollment bit
	codeInvalidMetadata    = "0xA011000A" // Inferred
	codeInvalidSAN         = "0xA011000B" // Inferred
	codeKeyNotAllowed      = "0xA011000C" // Inferred: key type/size outside the template's policy
	codeInvalidQuery       = "0xA011000D" // Inferred: PQL syntax or field error
	codeNotFound           = "0xA011000E" // Inferred
	codeInvalidRevocation  = "0xA011000F" // Inferred: reason code or target not revocable
	codeInvalidPaging      = "0xA0110010" // Inferred
	codeInvalidCertFormat  = "0xA0110011" // Inferred: x-certificateformat value not offered
	codeInvalidWorkflow    = "0xA0110012" // Inferred: request not pending
	codeInternal           = "0xA0000001" // Inferred: unexpected server failure
)

// encodeFailureBody is answered when a response cannot be encoded (it never happens with the
// simulator's own types, but nothing may panic). It must stay in sync with codeInternal.
const encodeFailureBody = `{"ErrorCode":"0xA0000001","Message":"The response could not be encoded."}`

// apiError is the body of every error answer: {"ErrorCode":"0x…","Message":"…"}.
type apiError struct {
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

// writeJSON answers status with v encoded like System.Text.Json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalSTJ(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(encodeFailureBody)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers status with Command's error shape.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{ErrorCode: code, Message: message})
}
