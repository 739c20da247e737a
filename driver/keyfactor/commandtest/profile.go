package commandtest

import "fmt"

// Profile selects which Command version the simulator imitates.
type Profile int

// Supported version profiles.
const (
	Profile10 Profile = 10 // AD (Basic) auth only; reason 7 = remove from CRL
	Profile11 Profile = 11 // OAuth bearer tokens accepted
	Profile12 Profile = 12 // forceEnroll query parameter on CSR enrollment
	Profile24 Profile = 24 // un-prefixed query names in docs; sort-field validation observed
	Profile25 Profile = 25 // enrollment patterns, EnrollmentPatternId, reason 8, WorkflowInstanceId fields
)

// ParseProfile turns "10", "11", "12", "24" or "25" into a Profile.
func ParseProfile(s string) (Profile, error) {
	for _, p := range []Profile{Profile10, Profile11, Profile12, Profile24, Profile25} {
		if s == fmt.Sprint(int(p)) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown profile %q: want 10, 11, 12, 24 or 25", s)
}

func (p Profile) valid() bool {
	switch p {
	case Profile10, Profile11, Profile12, Profile24, Profile25:
		return true
	}
	return false
}

// productVersion is the x-keyfactor-product-version header value of each profile.
func (p Profile) productVersion() string {
	switch p {
	case Profile10:
		return "10.5.0.0"
	case Profile11:
		return "11.6.0.0"
	case Profile12:
		return "12.5.0.0"
	case Profile24:
		return "24.4.0.0"
	default:
		return "25.1.1.0"
	}
}

// bearerAuth reports whether the profile accepts OAuth bearer tokens (Command 11+).
func (p Profile) bearerAuth() bool { return p >= Profile11 }

// enrollmentPatterns reports whether /EnrollmentPatterns and EnrollmentPatternId exist (25.1+).
func (p Profile) enrollmentPatterns() bool { return p >= Profile25 }

// workflowInstanceFields reports whether enrollment answers carry WorkflowInstanceId (25).
func (p Profile) workflowInstanceFields() bool { return p >= Profile25 }

// removeFromCRLReason is the revoke reason code meaning "remove from CRL": 7 up to 24, 8 in 25.
func (p Profile) removeFromCRLReason() int {
	if p >= Profile25 {
		return 8
	}
	return 7
}

// validRevokeReason reports whether code is in the profile's revocation-reason enum.
func (p Profile) validRevokeReason(code int) bool {
	switch code {
	case -1, 0, 1, 2, 3, 4, 5, 6, 999:
		return true
	}
	return code == p.removeFromCRLReason()
}
