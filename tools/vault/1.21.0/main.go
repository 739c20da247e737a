// Command vault is HashiCorp Vault's own CLI and server, built from the published module so tests
// run against a real server rather than an in-process imitation.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
