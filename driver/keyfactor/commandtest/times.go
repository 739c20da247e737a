package commandtest

import (
	"encoding/json"
	"strings"
	"time"
)

// stjTime is a date-time as System.Text.Json writes a UTC DateTime: ISO 8601 with up to seven
// fraction digits (trailing zeros trimmed) and "Z". Inferred: Command stores UTC; whether it
// marks the Kind as Utc (and so writes "Z") is not evidenced — "Z" is the safer choice.
type stjTime time.Time

func (t stjTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format("2006-01-02T15:04:05.9999999Z"))
}

func stjTimePtr(t *time.Time) *stjTime {
	if t == nil {
		return nil
	}
	v := stjTime(*t)
	return &v
}

// lenientLayouts are the date forms accepted in requests and PQL values.
var lenientLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02",
	"1/2/2006 15:04:05",
	"1/2/2006",
}

// parseLenientTime parses the date forms .NET accepts in practice; zone-less means UTC.
func parseLenientTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range lenientLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
