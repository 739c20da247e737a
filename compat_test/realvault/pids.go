package realvault

// VaultPID is the process id of the Vault server, for measurements read from /proc (the plugin
// processes Vault starts are its children).
func (e *Env) VaultPID() int { return e.vault.cmd.Process.Pid }

// SimPID is the process id of the Command simulator.
func (e *Env) SimPID() int { return e.sim.cmd.Process.Pid }
