package temporalclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/internal/envflag"
)

func TestValidateSecurity(t *testing.T) {
	pki := newPKI(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca, cert, key := pki.files(t)
	otherKey := write("other.key", newPKI(t).clientKeyPEM)
	notPEM := write("not.pem", "hello")
	const secret = "sekret-key-123"

	tests := []struct {
		name           string
		args           []string
		env            map[string]string
		wantErr        string // "" means valid
		wantTLS        bool
		wantServerName string
		wantClientCert bool
		wantRoots      bool
	}{
		{name: "plaintext by default"},
		{name: "empty env vars are unset", env: map[string]string{EnvTLSCert: "", EnvTLSKey: "", EnvTLSCA: "", EnvAPIKey: ""}},
		{name: "mTLS from flags", args: []string{"--tls-cert", cert, "--tls-key", key, "--tls-ca", ca},
			wantTLS: true, wantClientCert: true, wantRoots: true},
		{name: "mTLS from env", env: map[string]string{EnvTLSCert: cert, EnvTLSKey: key},
			wantTLS: true, wantClientCert: true},
		{name: "server name alone turns TLS on", args: []string{"--tls-server-name", "temporal.test"},
			wantTLS: true, wantServerName: "temporal.test"},
		{name: "API key alone turns TLS on, system pool", env: map[string]string{EnvAPIKey: secret + "\n"}, wantTLS: true},
		{name: "flag beats a bad env var", args: []string{"--tls-ca", ca}, env: map[string]string{EnvTLSCA: "/nope.pem"},
			wantTLS: true, wantRoots: true},
		{name: "cert without key", args: []string{"--tls-cert", cert},
			wantErr: "invalid --tls-cert: needs --tls-key or $TEMPORAL_TLS_KEY too"},
		{name: "key without cert from env", env: map[string]string{EnvTLSKey: key},
			wantErr: "invalid TEMPORAL_TLS_KEY: needs --tls-cert or $TEMPORAL_TLS_CERT too"},
		{name: "unreadable cert", args: []string{"--tls-cert", "/nope.pem", "--tls-key", key},
			wantErr: "invalid --tls-cert /nope.pem: open /nope.pem: no such file or directory"},
		{name: "unreadable key from env", env: map[string]string{EnvTLSCert: cert, EnvTLSKey: "/nope.key"},
			wantErr: "invalid TEMPORAL_TLS_KEY /nope.key: open /nope.key: no such file or directory"},
		{name: "unreadable CA from env", env: map[string]string{EnvTLSCA: "/nope.pem"},
			wantErr: "invalid TEMPORAL_TLS_CA /nope.pem: open /nope.pem: no such file or directory"},
		{name: "cert not PEM", args: []string{"--tls-cert", notPEM, "--tls-key", key},
			wantErr: "invalid --tls-cert " + notPEM + ": no PEM certificate found"},
		{name: "key is a certificate", args: []string{"--tls-cert", cert, "--tls-key", cert},
			wantErr: "invalid --tls-key " + cert + ": tls:"},
		{name: "key of another certificate", env: map[string]string{EnvTLSCert: cert, EnvTLSKey: otherKey},
			wantErr: "invalid TEMPORAL_TLS_KEY " + otherKey + ": tls: private key does not match public key"},
		{name: "CA not PEM", args: []string{"--tls-ca", notPEM},
			wantErr: "invalid --tls-ca " + notPEM + ": no PEM certificate found"},
		{name: "API key with a line break inside", env: map[string]string{EnvAPIKey: "sekret\nkey-123"},
			wantErr: "invalid TEMPORAL_API_KEY: the API key has a character that is not printable ASCII at byte 6"},
		{name: "API key flag with a control character", args: []string{"--api-key", "sekret\x01key"},
			wantErr: "invalid --api-key: the API key has a character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(t, tt.args, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one starting %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "sekret") || strings.Contains(err.Error(), "PRIVATE KEY") {
					t.Errorf("err %q shows a secret", err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("err %q is more than one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if (o.tls != nil) != tt.wantTLS {
				t.Fatalf("tls = %v, want on: %v", o.tls, tt.wantTLS)
			}
			if !tt.wantTLS {
				return
			}
			if o.tls.ServerName != tt.wantServerName || (len(o.tls.Certificates) == 1) != tt.wantClientCert ||
				(o.tls.RootCAs != nil) != tt.wantRoots || o.tls.MinVersion != tls.VersionTLS12 {
				t.Errorf("tls: server name %q, %d client certificates, roots %v, min version %x",
					o.tls.ServerName, len(o.tls.Certificates), o.tls.RootCAs != nil, o.tls.MinVersion)
			}
		})
	}
}

// TestSecretsAreNotShown: the API key shows neither in --help nor in String nor in LogFields.
func TestSecretsAreNotShown(t *testing.T) {
	const secret = "sekret-key-123"
	o, err := parse(t, nil, map[string]string{EnvAPIKey: secret})
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, f := range o.LogFields() {
		fields = append(fields, f.Key+"="+f.String)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	(&Options{}).AddFlags(fs)
	for what, s := range map[string]string{"String": o.String(), "LogFields": strings.Join(fields, " "),
		"help": fs.FlagUsages()} {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows the API key: %s", what, s)
		}
	}
	if !strings.Contains(o.String(), "apiKey=<redacted>") || !strings.Contains(o.String(), "tls=true") {
		t.Errorf("String() = %q, want the key masked and TLS on", o.String())
	}
	if !strings.Contains(fs.FlagUsages(), "[$TEMPORAL_API_KEY]") {
		t.Errorf("--help does not name TEMPORAL_API_KEY:\n%s", fs.FlagUsages())
	}
}

// parse runs the flags through the same steps as the binaries: parse, env, Validate.
func parse(t *testing.T, args []string, env map[string]string) (*Options, error) {
	t.Helper()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	o := &Options{}
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := envflag.Apply(fs, lookup); err != nil {
		t.Fatal(err)
	}
	return o, o.Validate(fs, lookup)
}

// pki is a test CA with a server certificate for temporal.test (no IP address) and a client
// certificate, all PEM.
type pki struct {
	caPEM, serverCertPEM, serverKeyPEM, clientCertPEM, clientKeyPEM string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage, dns []string) (certPEM, keyPEM string) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: dns,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return encodePEM("CERTIFICATE", der), encodePEM("PRIVATE KEY", keyDER)
	}
	p := pki{caPEM: encodePEM("CERTIFICATE", caDER)}
	p.serverCertPEM, p.serverKeyPEM = leaf(2, "temporal.test", x509.ExtKeyUsageServerAuth, []string{"temporal.test"})
	p.clientCertPEM, p.clientKeyPEM = leaf(3, "hello-cron-worker", x509.ExtKeyUsageClientAuth, nil)
	return p
}

// files writes the CA and the client certificate and key to a temp dir.
func (p pki) files(t *testing.T) (ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct {
		path          *string
		name, content string
	}{
		{&ca, "ca.pem", p.caPEM}, {&cert, "client.pem", p.clientCertPEM}, {&key, "client.key", p.clientKeyPEM},
	} {
		*f.path = filepath.Join(dir, f.name)
		if err := os.WriteFile(*f.path, []byte(f.content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return ca, cert, key
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func encodePEM(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}
