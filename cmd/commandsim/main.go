// Command commandsim runs the simulated Keyfactor Command (driver/keyfactor/commandtest) as a
// process for the demo and the end-to-end tests. On start it prints one JSON line describing
// how to reach it, then serves until SIGINT or SIGTERM.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

type config struct {
	addr, profile, inventory, apiPath, username, password, domain, stateDir string
	tls, http2                                                              bool
	metadataFields                                                          []commandtest.MetadataField
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("commandsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:0", "listen address")
	fs.BoolVar(&c.tls, "tls", true, "serve HTTPS with the simulator's own TLS CA")
	fs.BoolVar(&c.http2, "http2", true, "offer HTTP/2 over TLS, as Command on IIS 10 does; false imitates IIS 8.5 (HTTP/1.1 only)")
	fs.StringVar(&c.profile, "profile", "25", "Command version to imitate: 10, 11, 12, 24 or 25")
	fs.StringVar(&c.inventory, "inventory", "", "inventory file (JSON, or YAML with a .yaml/.yml name): CAs, templates, metadata fields and enrollment patterns replacing the default inventory")
	// -seed is the flag's first name, kept so scripts written for it still work.
	var seed string
	fs.StringVar(&seed, "seed", "", "deprecated: the former name of -inventory")
	fs.StringVar(&c.apiPath, "api-path", commandtest.DefaultAPIPath, "API path")
	fs.StringVar(&c.username, "username", commandtest.DefaultUsername, "Basic-auth user name")
	fs.StringVar(&c.password, "password", commandtest.DefaultPassword, "Basic-auth password")
	fs.StringVar(&c.domain, "domain", commandtest.DefaultDomain, "Basic-auth domain (empty for none)")
	fs.StringVar(&c.stateDir, "state-dir", "", "directory for the CA bundle and root PEM (default: a new temporary directory)")
	fs.Func("metadata-field", "add a metadata field, Name or Name:DataType (repeatable)", func(v string) error {
		f, err := commandtest.ParseMetadataField(v)
		if err == nil {
			c.metadataFields = append(c.metadataFields, f)
		}
		return err
	})
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if seed != "" {
		if c.inventory != "" && c.inventory != seed {
			return c, errors.New("-seed is the deprecated name of -inventory: give one of them")
		}
		fmt.Fprintln(stderr, "commandsim: -seed is deprecated; use -inventory")
		c.inventory = seed
	}
	if c.username == "" || c.password == "" {
		return c, errors.New("-username and -password must not be empty")
	}
	return c, nil
}

// start builds the server from c and writes the PEM files; the caller closes the server.
func start(c config) (*commandtest.Server, commandtest.Announcement, error) {
	profile, err := commandtest.ParseProfile(c.profile)
	if err != nil {
		return nil, commandtest.Announcement{}, err
	}
	opts := []commandtest.Option{
		commandtest.WithProfile(profile),
		commandtest.WithAPIPath(c.apiPath),
		commandtest.WithAddr(c.addr),
		commandtest.WithMetadataFields(c.metadataFields...),
		commandtest.WithUsers(
			commandtest.User{Domain: c.domain, Username: c.username, Password: c.password},
			commandtest.User{Domain: c.domain, Username: commandtest.ReadOnlyUsername, Password: commandtest.ReadOnlyPassword,
				Permissions: commandtest.ReadOnlyPermissions()},
		),
	}
	if c.inventory != "" {
		inv, err := commandtest.LoadInventoryFile(c.inventory)
		if err != nil {
			return nil, commandtest.Announcement{}, err
		}
		opts = append(opts, commandtest.WithInventory(inv))
	}
	stateDir := c.stateDir
	if stateDir == "" {
		if stateDir, err = os.MkdirTemp("", "commandsim-"); err != nil {
			return nil, commandtest.Announcement{}, err
		}
	} else if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, commandtest.Announcement{}, err
	}
	if !c.http2 {
		opts = append(opts, commandtest.WithoutHTTP2())
	}
	srv, err := commandtest.Start(c.tls, opts...)
	if err != nil {
		return nil, commandtest.Announcement{}, err
	}
	info := commandtest.Announcement{
		URL: srv.URL, APIPath: srv.APIPath, Domain: c.domain, Username: c.username, Password: c.password,
		ClientID: commandtest.DefaultClientID, ClientSecret: commandtest.DefaultClientSecret,
		TokenURL: srv.TokenURL(), Audience: commandtest.DefaultAudience, AccessToken: commandtest.DefaultStaticToken,
		Template: commandtest.DefaultTemplate, AdminURL: srv.AdminURL(),
	}
	info.CA = srv.DefaultCAName()
	info.RootCA = filepath.Join(stateDir, "root-ca.pem")
	if err := os.WriteFile(info.RootCA, srv.RootCertificatePEM(), 0o644); err != nil {
		srv.Close()
		return nil, commandtest.Announcement{}, err
	}
	if bundle := srv.TLSCABundlePEM(); bundle != nil {
		info.CABundle = filepath.Join(stateDir, "ca-bundle.pem")
		if err := os.WriteFile(info.CABundle, bundle, 0o644); err != nil {
			srv.Close()
			return nil, commandtest.Announcement{}, err
		}
	}
	return srv, info, nil
}

func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "commandsim:", err)
		return 2
	}
	srv, info, err := start(c)
	if err != nil {
		fmt.Fprintln(stderr, "commandsim:", err)
		return 1
	}
	defer srv.Close()
	line, err := json.Marshal(info)
	if err != nil {
		fmt.Fprintln(stderr, "commandsim:", err)
		return 1
	}
	fmt.Fprintln(stdout, string(line))
	<-stop
	return 0
}

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, stop))
}
