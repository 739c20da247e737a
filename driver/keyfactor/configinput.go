package keyfactor

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Config values that name files: client_cert, client_key and command_cert_path are inline PEM
// or, as the older Keyfactor plugin allowed, the path of a PEM file on the Vault host. Whoever
// may write config can therefore make Vault read any file it can read; the answer must not
// help them learn more (which paths exist), and must never quote the value, which may be a key
// pasted without its PEM header.

// maxPEMFileBytes bounds what is read of a named file (a device or huge file must not hang or
// exhaust the plugin).
const maxPEMFileBytes = 1 << 20

// loadPEMSource returns inline PEM as is, or the content of the regular file the value names.
// Every failure (no such file, unreadable, not a regular file, too large, no PEM in it) gives
// the same answer, naming the field only.
func loadPEMSource(field, src string) ([]byte, error) {
	src = strings.TrimSpace(src)
	if strings.Contains(src, "-----BEGIN") {
		return []byte(src), nil
	}
	neutral := fmt.Errorf("%s: not inline PEM, and not the path of a readable PEM file on the Vault host", field)
	f, err := os.Open(src)
	if err != nil {
		return nil, neutral
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() || info.Size() > maxPEMFileBytes {
		return nil, neutral
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPEMFileBytes+1))
	if err != nil || len(data) > maxPEMFileBytes || !strings.Contains(string(data), "-----BEGIN") {
		return nil, neutral
	}
	return data, nil
}

// validateAPIPath keeps api_path a plain path below url: no "." or ".." segment (also
// percent-encoded), no scheme, host, query, fragment or backslash, so the driver can never be
// pointed outside the API base.
func validateAPIPath(apiPath string) error {
	p := strings.TrimSpace(apiPath)
	if p == "" {
		return nil
	}
	bad := fmt.Errorf(`api_path: must be a path below url such as "KeyfactorAPI" (no "..", scheme, host, query or fragment)`)
	if strings.ContainsAny(p, `?#\`) || strings.Contains(p, "://") || strings.HasPrefix(p, "//") {
		return bad
	}
	for _, seg := range strings.Split(p, "/") {
		decoded, err := url.PathUnescape(seg)
		if err != nil {
			return bad
		}
		if d := strings.TrimSpace(decoded); d == "." || d == ".." || strings.ContainsAny(decoded, `/\`) {
			return bad
		}
	}
	return nil
}

// authFieldNames names the config fields of the configured auth method, for errors that blame
// the credentials.
func (d *keyfactorDriver) authFieldNames() string {
	for _, g := range authFieldGroups {
		if g.method == d.settings.auth {
			return strings.Join(append(append([]string(nil), g.required...), g.optional...), "/")
		}
	}
	return "the auth fields"
}

// connectionInputError turns a failure of the connection check's first call (which proves url,
// TLS trust and credentials) into the caller's mistake when the operator's own input caused it:
// a 400 naming the field. What remains Command's problem (5xx answers, timeouts) keeps its
// status. Issuance-time failures never pass through here.
func (d *keyfactorDriver) connectionInputError(err error) error {
	var ce *CommandError
	var ue *cadriver.UnavailableError
	switch {
	case errors.As(err, &ce) && ce.Op == "TLS handshake":
		return cadriver.Invalid("url/command_cert_path: Keyfactor Command's TLS certificate is not trusted (%s); set command_cert_path to the CA that signed it", ce.Message)
	case errors.As(err, &ce) && ce.Peer != "":
		return cadriver.Invalid("%s: %s", d.authFieldNames(), ce.Error())
	case errors.As(err, &ce) && (ce.HTTPStatus == http.StatusUnauthorized || ce.HTTPStatus == http.StatusForbidden):
		return cadriver.Invalid("%s: %s", d.authFieldNames(), ce.Error())
	case errors.As(err, &ce) && ce.HTTPStatus >= 400 && ce.HTTPStatus < 500 && ce.HTTPStatus != http.StatusTooManyRequests:
		return cadriver.Invalid("url/api_path: no Keyfactor API answered at %s (%s); check the scheme (http or https), host, port and api_path", d.settings.apiBase.Redacted(), ce.Error())
	case errors.As(err, &ue) && !ue.Timeout:
		field := "url"
		if d.settings.auth == authOAuth && strings.Contains(ue.Message, "token endpoint") {
			field = "token_url"
		}
		return cadriver.Invalid("%s: %s", field, ue.Message)
	}
	return fmt.Errorf("connection check failed: %w", err)
}
