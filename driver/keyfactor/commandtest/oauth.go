package commandtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// tokenPath is where the simulated identity provider issues tokens (Keycloak's layout, which is
// what the Keyfactor Identity Provider is).
const tokenPath = "/realms/kfpki/protocol/openid-connect/token"

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// writeOAuth answers in the identity provider's (RFC 6749) style, not Command's.
func writeOAuth(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveToken implements the client-credentials grant. The client authenticates with a Basic
// header (client_secret_basic, id and secret form-encoded first per RFC 6749 2.3.1) or with
// client_id/client_secret form fields (client_secret_post); x/oauth2 tries both.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuth(w, http.StatusMethodNotAllowed, oauthError{Error: "invalid_request", ErrorDescription: "use POST"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeOAuth(w, http.StatusBadRequest, oauthError{Error: "invalid_request", ErrorDescription: "body must be application/x-www-form-urlencoded"})
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		// Clients that follow RFC 6749 form-encode id and secret; raw values pass unchanged.
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	client, ok := s.auth.findClient(id, secret)
	if !ok {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="kfpki"`)
		}
		writeOAuth(w, http.StatusUnauthorized, oauthError{Error: "invalid_client", ErrorDescription: "client authentication failed"})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeOAuth(w, http.StatusBadRequest, oauthError{Error: "unsupported_grant_type", ErrorDescription: "only client_credentials is supported"})
		return
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	for _, sc := range scopes {
		if !slices.Contains(client.Scopes, sc) {
			writeOAuth(w, http.StatusBadRequest, oauthError{Error: "invalid_scope", ErrorDescription: "scope " + sc + " is not allowed for this client"})
			return
		}
	}
	for _, aud := range r.PostForm["audience"] {
		if aud != "" && client.Audience != "" && aud != client.Audience {
			writeOAuth(w, http.StatusBadRequest, oauthError{Error: "invalid_target", ErrorDescription: "audience is not registered for this client"})
			return
		}
	}
	now := time.Now()
	token, err := s.auth.issueToken(client, now)
	if err != nil {
		writeOAuth(w, http.StatusInternalServerError, oauthError{Error: "server_error"})
		return
	}
	s.counters.countToken()
	writeOAuth(w, http.StatusOK, tokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int((s.auth.lifetime + time.Second - 1) / time.Second), // rounded up: 0 would mean "never expires" to clients
		Scope:       strings.Join(scopes, " "),
	})
}
