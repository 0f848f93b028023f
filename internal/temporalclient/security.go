package temporalclient

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/internal/envflag"
)

// The env vars of the security flags.
const (
	EnvTLSCert       = "TEMPORAL_TLS_CERT"
	EnvTLSKey        = "TEMPORAL_TLS_KEY"
	EnvTLSCA         = "TEMPORAL_TLS_CA"
	EnvTLSServerName = "TEMPORAL_TLS_SERVER_NAME"
	EnvAPIKey        = "TEMPORAL_API_KEY"
)

// addSecurityFlags binds the TLS and API key flags. They all default to empty, meaning unset, so
// that no secret ever shows in --help; an empty env var is unset too.
func (o *Options) addSecurityFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.TLSCert, "tls-cert", "", "PEM file of the client certificate for mTLS (with --tls-key; turns TLS on)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "PEM file of the client certificate's private key (with --tls-cert)")
	fs.StringVar(&o.TLSCA, "tls-ca", "", "PEM file of the CAs that the server's certificate must chain to, instead of the system pool (turns TLS on)")
	fs.StringVar(&o.TLSServerName, "tls-server-name", "", "name the server's certificate must have, if not the host of --address (turns TLS on)")
	fs.StringVar(&o.apiKey, "api-key", "", "API key sent as a bearer token, e.g. for Temporal Cloud (turns TLS on; prefer the env var: flags show in ps)")
	envflag.Bind(fs, "tls-cert", EnvTLSCert)
	envflag.Bind(fs, "tls-key", EnvTLSKey)
	envflag.Bind(fs, "tls-ca", EnvTLSCA)
	envflag.Bind(fs, "tls-server-name", EnvTLSServerName)
	envflag.Bind(fs, "api-key", EnvAPIKey)
}

// securityWanted: TLS is on when any TLS setting or an API key is set (Temporal Cloud only takes
// API keys over TLS).
func (o *Options) securityWanted() bool {
	return o.TLSCert != "" || o.TLSKey != "" || o.TLSCA != "" || o.TLSServerName != "" || o.apiKey != ""
}

// loadSecurity checks the API key and builds o.tls from the TLS files. source names where a
// flag's value came from ("--tls-cert" or "TEMPORAL_TLS_CERT").
func (o *Options) loadSecurity(source func(flag string) string) error {
	o.apiKey = strings.TrimSpace(o.apiKey) // a Secret made from a file often ends with a newline
	if err := checkAPIKey(o.apiKey); err != nil {
		return fmt.Errorf("invalid %s: %w", source("api-key"), err) // never the key itself
	}
	o.tls = nil
	if !o.securityWanted() {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.TLSServerName}
	switch {
	case o.TLSCert != "" && o.TLSKey == "":
		return fmt.Errorf("invalid %s: needs --tls-key or $%s too", source("tls-cert"), EnvTLSKey)
	case o.TLSKey != "" && o.TLSCert == "":
		return fmt.Errorf("invalid %s: needs --tls-cert or $%s too", source("tls-key"), EnvTLSCert)
	case o.TLSCert != "":
		cert, err := loadKeyPair(o.TLSCert, o.TLSKey, source)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if o.TLSCA != "" {
		pool, err := loadCAs(o.TLSCA)
		if err != nil {
			return fmt.Errorf("invalid %s %s: %w", source("tls-ca"), o.TLSCA, err)
		}
		cfg.RootCAs = pool
	}
	o.tls = cfg
	return nil
}

// loadKeyPair reads the client certificate and its key. An error names the file at fault; the
// errors of crypto/tls never quote the key.
func loadKeyPair(certFile, keyFile string, source func(string) string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("invalid %s %s: %w", source("tls-cert"), certFile, err)
	}
	if _, err := parseCertificates(certPEM); err != nil {
		return tls.Certificate{}, fmt.Errorf("invalid %s %s: %w", source("tls-cert"), certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("invalid %s %s: %w", source("tls-key"), keyFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("invalid %s %s: %w", source("tls-key"), keyFile, err)
	}
	return cert, nil
}

// loadCAs reads a PEM file of CA certificates into a pool of its own.
func loadCAs(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertificates(b)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// parseCertificates returns the CERTIFICATE blocks of b; there must be at least one and each
// must parse.
func parseCertificates(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

// checkAPIKey: gRPC metadata values must be printable ASCII. The error does not quote the key.
func checkAPIKey(key string) error {
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return fmt.Errorf("the API key has a character that is not printable ASCII at byte %d", i)
		}
	}
	return nil
}

// mask shows whether a secret is set, never what it is.
func mask(secret string) string {
	if secret == "" {
		return ""
	}
	return "<redacted>"
}
