package commandtest

import (
	"encoding/json"
	"testing"
)

func TestMarshalSTJ(t *testing.T) {
	type withNull struct {
		Name    *string `json:"Name"`
		Count   int     `json:"Count"`
		Comment *string `json:"Comment"`
	}
	name := "x"
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"apostrophe", apiError{ErrorCode: "0xA0140002", Message: "User KEYFACTOR\\bob doesn't have the required permission"},
			`{"ErrorCode":"0xA0140002","Message":"User KEYFACTOR\\bob doesn\u0027t have the required permission"}`},
		{"html and plus", "a<b>&c+d`e", `"a\u003Cb\u003E\u0026c\u002Bd\u0060e"`},
		{"quote", `say "hi"`, `"say \u0022hi\u0022"`},
		{"control", "l1\r\nl2\tx\x01", `"l1\r\nl2\tx\u0001"`},
		{"non-ascii", "café €", `"caf\u00E9 \u20AC"`},
		{"astral", "😀", `"\uD83D\uDE00"`},
		{"null for unset", withNull{Name: &name}, `{"Name":"x","Count":0,"Comment":null}`},
		{"array", []string{"it's"}, `["it\u0027s"]`},
		{"backslash before u", `\u003c`, `"\\u003c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := marshalSTJ(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			// Whatever the escaping, a JSON decoder must read back the same value.
			var back, orig any
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(tt.in)
			_ = json.Unmarshal(raw, &orig)
			b1, _ := json.Marshal(back)
			b2, _ := json.Marshal(orig)
			if string(b1) != string(b2) {
				t.Fatalf("round trip changed the value: %s vs %s", b1, b2)
			}
		})
	}
}
