// Package cadriver is the seam between the PKI engine (package pkicompat) and the CA that
// signs. A driver author reads only this package: it imports nothing but the standard library,
// so a driver does not pull Vault into its build.
//
// A driver implements Driver (four required methods) and, where its CA offers them, the
// optional one-method capabilities (RevocationLister, ConnectionChecker, DefaultCANamer,
// Closer, IssuedFinder, RequestChecker, RequestDenier, MetadataFieldLister). A Provider turns the stored configuration into a Driver.
//
// One error rule: an error's HTTP status is what its StatusCode method says (see StatusCoder);
// an error without one is reported as a CA failure (502). The error types below are the ones
// the engine and its drivers share.
package cadriver
