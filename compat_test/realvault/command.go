package realvault

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// CommandCertificate is the part of Command's certificate model the tests look at: what the
// plugin sent at enrollment, as Command recorded it.
type CommandCertificate struct {
	ID           int                    `json:"Id"`
	SerialNumber string                 `json:"SerialNumber"`
	IssuedCN     string                 `json:"IssuedCN"`
	IssuerDN     string                 `json:"IssuerDN"`
	TemplateName string                 `json:"TemplateName"`
	CertState    int                    `json:"CertState"`
	Metadata     map[string]interface{} `json:"Metadata"`
}

// CommandCertificatesByCN searches the simulator's inventory the way a Command operator would:
// GET /Certificates with a PQL filter on IssuedCN, including revoked and expired certificates
// and their metadata. It uses the simulator's Basic identity and trusts its TLS CA.
func (e *Env) CommandCertificatesByCN(ctx context.Context, cn string) ([]CommandCertificate, error) {
	return e.CommandCertificates(ctx, fmt.Sprintf("IssuedCN -eq %q", cn))
}

// commandSearchPageSize and commandSearchMaxPages bound one inventory search.
const (
	commandSearchPageSize = 200
	commandSearchMaxPages = 100
)

// CommandCertificates returns every certificate in the simulator's inventory matching the PQL
// query (revoked and expired ones included), paging until a short page.
func (e *Env) CommandCertificates(ctx context.Context, pql string) ([]CommandCertificate, error) {
	client, err := e.commandClient()
	if err != nil {
		return nil, err
	}
	base, err := url.JoinPath(e.Sim.URL, e.Sim.APIPath, "Certificates")
	if err != nil {
		return nil, err
	}
	var all []CommandCertificate
	for page := 1; page <= commandSearchMaxPages; page++ {
		u, err := url.Parse(base)
		if err != nil {
			return nil, err
		}
		query := url.Values{}
		query.Set("QueryString", pql)
		query.Set("IncludeMetadata", "true")
		query.Set("IncludeRevoked", "true")
		query.Set("IncludeExpired", "true")
		query.Set("ReturnLimit", strconv.Itoa(commandSearchPageSize))
		query.Set("PageReturned", strconv.Itoa(page))
		u.RawQuery = query.Encode()
		certs, err := e.commandGet(ctx, client, u.String())
		if err != nil {
			return nil, err
		}
		all = append(all, certs...)
		if len(certs) < commandSearchPageSize {
			return all, nil
		}
	}
	return nil, fmt.Errorf("GET /Certificates %q: more than %d pages", pql, commandSearchMaxPages)
}

// CommandRevoke revokes certificates in the simulator directly (POST /Certificates/Revoke as
// the Basic identity), as an operator does in Command's console: Vault learns of it only through
// the mount's revocation sync.
func (e *Env) CommandRevoke(ctx context.Context, ids []int, comment string) error {
	client, err := e.commandClient()
	if err != nil {
		return err
	}
	u, err := url.JoinPath(e.Sim.URL, e.Sim.APIPath, "Certificates", "Revoke")
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]interface{}{"CertificateIds": ids, "Reason": 0, "Comment": comment})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	e.commandHeaders(req)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("POST /Certificates/Revoke: status %d: %s", resp.StatusCode, answer)
	}
	return nil
}

// commandHeaders are the headers Keyfactor's clients send, with the simulator's Basic identity.
func (e *Env) commandHeaders(req *http.Request) {
	req.Header.Set("x-keyfactor-requested-with", "APIClient")
	req.Header.Set("x-keyfactor-api-version", "1")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(e.Sim.Domain+`\`+e.Sim.Username, e.Sim.Password)
}

func (e *Env) commandGet(ctx context.Context, client *http.Client, u string) ([]CommandCertificate, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	e.commandHeaders(req)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /Certificates: status %d: %s", resp.StatusCode, body)
	}
	var certs []CommandCertificate
	if err := json.Unmarshal(body, &certs); err != nil {
		return nil, fmt.Errorf("GET /Certificates: answer is not a certificate array: %w", err)
	}
	return certs, nil
}

// commandClient trusts the simulator's TLS CA (or nothing extra when it serves plain HTTP).
func (e *Env) commandClient() (*http.Client, error) {
	transport := &http.Transport{}
	if e.Sim.CABundle != "" {
		pemBytes, err := os.ReadFile(e.Sim.CABundle)
		if err != nil {
			return nil, fmt.Errorf("reading the simulator's TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("the simulator's TLS CA file %s holds no certificate", e.Sim.CABundle)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: transport, Timeout: 30 * time.Second}, nil
}
