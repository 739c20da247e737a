// Package commandtest is an in-memory Keyfactor Command server for tests, in the manner of
// net/http/httptest: NewServer or NewTLSServer starts it on a loopback port, Close stops it.
//
// It is the only Keyfactor Command this project runs against, so it imitates the product's
// KeyfactorAPI closely: the required headers, Basic/OAuth/static-token authentication,
// permission errors, the {"ErrorCode","Message"} error shape encoded like System.Text.Json,
// CSR enrollment from a real crypto/x509 CA hierarchy, PQL certificate search, download in
// PEM/DER/P7B, revocation with a CRL served at each leaf's distribution point, the classic
// approval workflow, and the differences between Command 10, 11, 12, 24 and 25.
//
// Behaviour not evidenced against a real server (no public source shows it) is
// implemented the way an ASP.NET Core service would behave, and each such place says so in a
// comment beginning "Inferred:".
package commandtest
