package commandtest

// Announcement is the JSON line cmd/commandsim prints when it is ready: everything a script or
// test needs to reach the simulator and trust it.
type Announcement struct {
	URL          string `json:"url"`
	APIPath      string `json:"api_path"`
	Domain       string `json:"domain"`
	Username     string `json:"username"`
	Password     string `json:"password"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	TokenURL     string `json:"token_url"`
	Audience     string `json:"audience"`
	AccessToken  string `json:"access_token"`
	CA           string `json:"ca"`
	Template     string `json:"template"`
	CABundle     string `json:"ca_bundle"` // PEM file of the CA behind the HTTPS server certificate
	RootCA       string `json:"root_ca"`   // PEM file of the issuing hierarchy's root
	AdminURL     string `json:"admin_url"`
}
