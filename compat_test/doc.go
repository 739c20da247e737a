// Package compattest holds the suite that proves the drop-in claim: the same requests go to
// Vault's native PKI engine and to this plugin, in-process and through a real Vault server, and
// their answers are compared.
package compattest
