package realvault

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// AgentTemplate is one Vault Agent template block: consul-template text rendered to Destination.
type AgentTemplate struct {
	Contents    string `json:"contents"`
	Destination string `json:"destination"`
	Perms       string `json:"perms,omitempty"`
}

// Agent is a running `vault agent` process.
type Agent struct {
	// Dir holds the agent's configuration and token file.
	Dir  string
	proc *process
}

// agentConfig is Vault Agent's configuration in HCL's JSON form.
type agentConfig struct {
	PIDFile        string              `json:"pid_file"`
	Vault          agentVault          `json:"vault"`
	AutoAuth       agentAutoAuth       `json:"auto_auth"`
	TemplateConfig agentTemplateConfig `json:"template_config"`
	Templates      []AgentTemplate     `json:"template"`
}

type agentVault struct {
	Address string `json:"address"`
}

// agentAutoAuth holds the method as a one-element list: HCL's JSON form reads a bare object
// here as no method block at all.
type agentAutoAuth struct {
	Method []agentAuthMethod `json:"method"`
}

type agentAuthMethod struct {
	Type   string            `json:"type"`
	Config map[string]string `json:"config"`
}

type agentTemplateConfig struct {
	// ExitOnRetryFailure makes a template that can never render end the agent, so a test sees
	// the failure in the agent's output instead of waiting for files that never come.
	ExitOnRetryFailure bool `json:"exit_on_retry_failure"`
}

// StartAgent runs `vault agent` against this environment's Vault with the given templates. The
// agent authenticates with the token_file auto-auth method, reading the dev server's root token
// from a file in the agent's directory. Stop it with Agent.Stop.
func (e *Env) StartAgent(name string, templates []AgentTemplate) (*Agent, error) {
	dir := filepath.Join(e.Dir, "agent-"+name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tokenPath := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenPath, []byte(e.Token), 0o600); err != nil {
		return nil, err
	}
	conf := agentConfig{
		PIDFile: filepath.Join(dir, "agent.pid"),
		Vault:   agentVault{Address: e.Addr},
		AutoAuth: agentAutoAuth{Method: []agentAuthMethod{{
			Type:   "token_file",
			Config: map[string]string{"token_file_path": tokenPath},
		}}},
		TemplateConfig: agentTemplateConfig{ExitOnRetryFailure: true},
		Templates:      templates,
	}
	raw, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(confPath, raw, 0o600); err != nil {
		return nil, err
	}
	p, err := startProcess("vault agent", e.bins.Vault, baseEnv(e.home), nil,
		"agent", "-config="+confPath, "-log-level=debug")
	if err != nil {
		return nil, err
	}
	return &Agent{Dir: dir, proc: p}, nil
}

// Stop ends the agent (SIGINT, then SIGKILL after a grace period). Safe to call twice.
func (a *Agent) Stop() {
	if a != nil {
		a.proc.stop()
	}
}

// Exited reports whether the agent has ended on its own.
func (a *Agent) Exited() bool { return a.proc.exited() }

// Output is what the agent printed so far.
func (a *Agent) Output() string { return a.proc.output() }

// String names the agent for failure messages.
func (a *Agent) String() string { return fmt.Sprintf("vault agent in %s", a.Dir) }
