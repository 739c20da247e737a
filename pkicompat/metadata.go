package pkicompat

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// parseMetadata reads the older plugin's `metadata` field: a JSON object of names to values, sent to the
// CA with the request. Numbers and booleans are kept as their JSON text; nested objects and
// arrays are refused, since CA metadata fields hold single values.
//
// The old plugin's documentation tells users to escape the quotes (`{ \"k\": \"v\" }`) because
// it pasted the text into its own JSON. So that those commands keep working, text that is not
// JSON but becomes JSON once its escaped quotes are undone is accepted too.
func parseMetadata(field, text string) (map[string]string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	raw, err := decodeJSONObject(text)
	if err != nil && strings.Contains(text, `\"`) {
		if unescaped, uerr := strconv.Unquote(`"` + text + `"`); uerr == nil {
			if r, err2 := decodeJSONObject(unescaped); err2 == nil {
				raw, err = r, nil
			}
		}
	}
	if err != nil {
		return nil, Invalid("%s must be a JSON object of names to values: %s", field, err.Error())
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch t := v.(type) {
		case string:
			out[k] = t
		case json.Number:
			out[k] = t.String()
		case bool:
			out[k] = strconv.FormatBool(t)
		case nil:
			out[k] = ""
		default:
			return nil, Invalid("%s: the value of %q must be a string, number or boolean", field, k)
		}
	}
	return out, nil
}

func decodeJSONObject(text string) (map[string]interface{}, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var raw map[string]interface{}
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, Invalid("unexpected text after the JSON object")
	}
	if raw == nil {
		return nil, Invalid("null is not a JSON object")
	}
	return raw, nil
}

// mergeMetadata lays the request's metadata over the role's: a request value replaces the
// role's value of the same name, other role values are kept.
func mergeMetadata(role, request map[string]string) map[string]string {
	if len(role) == 0 && len(request) == 0 {
		return nil
	}
	out := make(map[string]string, len(role)+len(request))
	for k, v := range role {
		out[k] = v
	}
	for k, v := range request {
		out[k] = v
	}
	return out
}
