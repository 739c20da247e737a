// Package compare turns the answers of two Vault secrets engines into comparable trees and lists
// where they differ. Randomness that legitimately differs between two correct answers (keys,
// serial numbers, times, ids) is masked; everything a client could notice is kept: keys, JSON
// types, HTTP status, warnings, error texts and the parsed fields of every certificate, key and
// CRL in the answer.
package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// Observation is one engine's answer to one request, as an HTTP client would see it: built
// in-process by Observe, or from a real Vault's HTTP answer by ObserveHTTP.
type Observation struct {
	// Status is the HTTP status Vault would answer with.
	Status int
	// Data is the response data after a JSON round trip (numbers as json.Number), nil when the
	// response had no data.
	Data map[string]interface{}
	// Warnings are the response warnings, in order.
	Warnings []string
	// Error is the error text Vault would put in "errors" ("" on success).
	Error string
	// Lease is set when the answer carries a secret (a role with generate_lease): Vault turns
	// it into lease_id, lease_duration and renewable.
	Lease *Lease

	// Set only for answers read over HTTP (ObserveHTTP); in-process there is no HTTP layer.
	ContentType string
	// Body is the raw HTTP body.
	Body []byte
	// Envelope is true when the body was Vault's JSON envelope (false for raw DER/PEM bodies).
	Envelope bool
	// MountType is the envelope's mount_type, which Vault core writes.
	MountType string
}

// Lease is what a client sees of a secret's lease.
type Lease struct {
	TTL       time.Duration
	Renewable bool
}

// Observe builds the Observation of a request's outcome: the HTTP status follows Vault's own
// mapping (logical.RespondErrorCommon, then logical.AdjustErrorStatusCode for coded errors), and
// the data goes through encoding/json the way Vault's HTTP layer sends it, so in-process Go types
// (certutil.PrivateKeyType, *bool, []byte) become what a client receives.
func Observe(req *logical.Request, resp *logical.Response, err error) (*Observation, error) {
	obs := &Observation{}
	status, respErr := logical.RespondErrorCommon(req, resp, err)
	if respErr != nil {
		logical.AdjustErrorStatusCode(&status, respErr)
		obs.Status = status
		obs.Error = respErr.Error()
		if resp != nil {
			obs.Warnings = append([]string(nil), resp.Warnings...)
		}
		return obs, nil
	}
	if status == 0 {
		status = successStatus(resp)
	}
	obs.Status = status
	if resp == nil {
		return obs, nil
	}
	obs.Warnings = append([]string(nil), resp.Warnings...)
	if resp.Secret != nil {
		obs.Lease = &Lease{TTL: resp.Secret.TTL, Renewable: resp.Secret.Renewable}
	}
	if resp.Data != nil {
		data, jerr := RoundTrip(resp.Data)
		if jerr != nil {
			return nil, fmt.Errorf("response data does not survive a JSON round trip: %w", jerr)
		}
		obs.Data = data
	}
	return obs, nil
}

// successStatus mirrors Vault's HTTP layer for an answer that is not an error: no response is
// 204, a raw response carries its own status, anything else is 200.
func successStatus(resp *logical.Response) int {
	if resp == nil {
		return http.StatusNoContent
	}
	if raw, ok := resp.Data[logical.HTTPStatusCode]; ok {
		switch code := raw.(type) {
		case int:
			return code
		case int64:
			return int(code)
		case float64:
			return int(code)
		}
	}
	return http.StatusOK
}

// RoundTrip sends v through encoding/json and decodes it with numbers kept as json.Number, as
// Vault's API client does.
func RoundTrip(v interface{}) (map[string]interface{}, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out map[string]interface{}
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}
