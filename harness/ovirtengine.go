package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ovacts/ovacts/internal/safeio"
)

// OVirtConfig names a user-supplied oVirt engine (--ovirt-*).
type OVirtConfig struct {
	URL          string // https://engine.example.com; "" = no engine
	User         string // e.g. admin@internal
	PasswordFile string
	CAFile       string // the engine's CA (PEM); or Insecure
	Insecure     bool
	AllowChanges bool   // scenarios that create and remove VMs may run
	Template     string // template of the VMs those scenarios create
}

// OVirtEngine is the engine the ovirt-engine scenarios talk to.
type OVirtEngine struct {
	Base     string       `json:"url"` // scheme://host[:port], no path
	User     string       `json:"user"`
	Template string       `json:"template"`
	TLS      string       `json:"tls"` // how the engine's certificate is checked
	Client   *http.Client `json:"-"`
	password string
}

// Password is the engine user's password (never printed, never reported).
func (e *OVirtEngine) Password() string { return e.password }

// NewOVirtEngine checks the engine flags and builds the HTTP client; bad
// input (no user, an unreadable password or CA file, a URL that is not https)
// is an error before anything runs.
func NewOVirtEngine(cfg OVirtConfig) (*OVirtEngine, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("--ovirt-url %q: want https://engine.example.com", cfg.URL)
	}
	if u.Scheme == "http" {
		return nil, errors.New("--ovirt-url must be https: the engine's API and SSO take passwords and tokens")
	}
	if u.User != nil {
		return nil, errors.New("--ovirt-url must not carry credentials: use --ovirt-user and --ovirt-password-file")
	}
	if cfg.User == "" {
		return nil, errors.New("--ovirt-url needs --ovirt-user (e.g. admin@internal)")
	}
	if cfg.PasswordFile == "" {
		return nil, errors.New("--ovirt-url needs --ovirt-password-file")
	}
	st, err := os.Lstat(cfg.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("--ovirt-password-file: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("--ovirt-password-file %s is readable by others (mode %04o): chmod 600 it", cfg.PasswordFile, perm)
	}
	pw, err := safeio.ReadRegular(cfg.PasswordFile, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("--ovirt-password-file: %w", err)
	}
	password := strings.TrimRight(string(pw), "\r\n")
	if password == "" {
		return nil, fmt.Errorf("--ovirt-password-file %s is empty", cfg.PasswordFile)
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	tlsMode := "verified against --ovirt-ca-file " + cfg.CAFile
	switch {
	case cfg.CAFile != "" && cfg.Insecure:
		return nil, errors.New("--ovirt-ca-file and --ovirt-insecure exclude each other")
	case cfg.CAFile != "":
		pem, err := safeio.ReadRegular(cfg.CAFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("--ovirt-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ovirt-ca-file %s holds no PEM certificate", cfg.CAFile)
		}
		tlsConf.RootCAs = pool
	case cfg.Insecure:
		tlsConf.InsecureSkipVerify = true
		tlsMode = "insecure: the engine's certificate is not verified (--ovirt-insecure)"
	default:
		return nil, errors.New("--ovirt-url needs --ovirt-ca-file (the engine's CA, from /ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA) or --ovirt-insecure")
	}
	template := cfg.Template
	if template == "" {
		template = "Blank"
	}
	return &OVirtEngine{
		Base: u.Scheme + "://" + u.Host, User: cfg.User, Template: template, TLS: tlsMode, password: password,
		Client: &http.Client{
			Timeout:   60 * time.Second,
			Transport: &http.Transport{TLSClientConfig: tlsConf},
			// The API's answers are checked as they come, redirects included.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// Reach checks that the engine answers HTTP at all: its API root without
// credentials (which answers 401). A refused connection or a TLS failure is a
// setup error.
func (e *OVirtEngine) Reach(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.Base+"/ovirt-engine/api", nil)
	if err != nil {
		return err
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the oVirt engine at %s: %w", e.Base, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return nil
}

// probeOVirt decides the oVirt engine needs: no engine is a missing
// precondition, an engine that does not answer a setup error.
func (r *runner) probeOVirt(ctx context.Context, engine *OVirtEngine) error {
	if engine == nil {
		r.caps.Lack("ovirt-engine", "no engine supplied (--ovirt-url)", NotProvided)
	} else {
		if err := engine.Reach(ctx); err != nil {
			return err
		}
		r.caps.OVirt = engine
		mode := "read-only"
		if r.cfg.OVirt.AllowChanges {
			mode = "changes allowed"
		}
		fmt.Fprintf(r.cfg.Progress, "ovirt: engine %s as %s (%s)\n", engine.Base, engine.User, mode)
	}
	if !r.cfg.OVirt.AllowChanges {
		r.caps.Lack("ovirt-changes", "a read-only run: scenarios that create VMs on the engine need --ovirt-allow-changes", NotProvided)
	}
	return nil
}
