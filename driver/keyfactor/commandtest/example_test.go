package commandtest_test

import (
	"fmt"
	"net/http"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// A test starts a simulated Keyfactor Command, calls its KeyfactorAPI with the default
// credentials and the header Command requires, and closes it, as with net/http/httptest.
func ExampleNewServer() {
	srv := commandtest.NewServer()
	defer srv.Close()

	req, err := http.NewRequest(http.MethodGet, srv.APIURL()+"/Templates", nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("x-keyfactor-requested-with", "APIClient")
	req.SetBasicAuth(commandtest.DefaultDomain+`\`+commandtest.DefaultUsername, commandtest.DefaultPassword)
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()

	fmt.Println(resp.StatusCode, srv.DefaultCAName())
	// Output: 200 ca.kfpki.test\KFPKI-Issuing-CA
}
