package keyfactor

// clientCertAuthWarning is given whenever client_cert/client_key are configured: no Keyfactor
// document or client (Keyfactor's SDKs, keyfactor-go-client, keyfactor-auth-client-go, kfutil)
// shows KeyfactorAPI accepting a TLS client certificate as authentication; it works only where
// IIS in front of Command has been set up to map client certificates to accounts.
const clientCertAuthWarning = "client_cert: no public Keyfactor documentation or client shows KeyfactorAPI accepting TLS client certificates as authentication; this works only if the IIS site in front of Command maps client certificates to accounts (prefer username/password or OAuth)"
