package temporalclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// frontend is a Temporal frontend that only answers GetSystemInfo, which the SDK calls on dial,
// and records who called.
type frontend struct {
	workflowservice.UnimplementedWorkflowServiceServer
	mu            sync.Mutex
	clientCN      string // the common name of the caller's certificate, "" without one
	authorization []string
}

func (f *frontend) GetSystemInfo(ctx context.Context, _ *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			f.clientCN = info.State.PeerCertificates[0].Subject.CommonName
		}
	}
	md, _ := metadata.FromIncomingContext(ctx)
	f.authorization = md.Get("authorization")
	return &workflowservice.GetSystemInfoResponse{ServerVersion: "test",
		Capabilities: &workflowservice.GetSystemInfoResponse_Capabilities{}}, nil
}

func (f *frontend) caller() (cn string, authorization []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clientCN, f.authorization
}

// startFrontend serves f over TLS with p's server certificate, asking for (not requiring) a
// client certificate signed by p's CA. It returns the address.
func startFrontend(t *testing.T, p pki, f *frontend) string {
	t.Helper()
	cert, err := tls.X509KeyPair([]byte(p.serverCertPEM), []byte(p.serverKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AppendCertsFromPEM([]byte(p.caPEM))
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert}, ClientCAs: clientCAs,
		ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12,
	})))
	workflowservice.RegisterWorkflowServiceServer(srv, f)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

func TestDialSecurity(t *testing.T) {
	p := newPKI(t)
	ca, cert, key := p.files(t)
	otherCA, _, _ := newPKI(t).files(t)
	const apiKey = "sekret-key-123"

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantErr  string // "" means it connects
		wantCN   string
		wantAuth string
	}{
		{name: "mTLS", args: []string{"--tls-cert", cert, "--tls-key", key, "--tls-ca", ca, "--tls-server-name", "temporal.test"},
			wantCN: "hello-cron-worker"},
		{name: "API key", env: map[string]string{EnvAPIKey: apiKey, EnvTLSCA: ca, EnvTLSServerName: "temporal.test"},
			wantAuth: "Bearer " + apiKey},
		{name: "mTLS and API key", env: map[string]string{EnvTLSCert: cert, EnvTLSKey: key, EnvTLSCA: ca,
			EnvTLSServerName: "temporal.test", EnvAPIKey: apiKey},
			wantCN: "hello-cron-worker", wantAuth: "Bearer " + apiKey},
		{name: "server name not honoured without --tls-server-name", args: []string{"--tls-ca", ca, "--api-key", apiKey},
			wantErr: "x509: cannot validate certificate for 127.0.0.1"},
		{name: "wrong CA", args: []string{"--tls-ca", otherCA, "--tls-server-name", "temporal.test", "--api-key", apiKey},
			wantErr: "x509: certificate signed by unknown authority"},
		{name: "system pool does not know the test CA", args: []string{"--tls-server-name", "temporal.test"},
			wantErr: "x509: certificate signed by unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // the failing rows wait for their deadline
			f := &frontend{}
			addr := startFrontend(t, p, f)
			o, err := parse(t, append(tt.args, "--address", addr), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			core, logs := observer.New(zap.DebugLevel)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			c, err := o.Dial(ctx, zap.New(core))
			for _, e := range logs.All() {
				if line := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(line, apiKey) {
					t.Errorf("log line shows the API key: %s %v", e.Message, e.ContextMap())
				}
			}
			if tt.wantErr != "" {
				if err == nil {
					c.Close()
					t.Fatal("connected, want an error")
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "connect to Temporal at "+addr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				t.Logf("error: %v", err)
				if strings.Contains(err.Error(), apiKey) {
					t.Errorf("err shows the API key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			cn, auth := f.caller()
			if cn != tt.wantCN {
				t.Errorf("client certificate %q, want %q", cn, tt.wantCN)
			}
			if got := strings.Join(auth, ","); got != tt.wantAuth {
				t.Errorf("authorization %q, want %q", got, tt.wantAuth)
			}
		})
	}
}

func TestValidateAddress(t *testing.T) {
	const hint = "must be host:port, such as 127.0.0.1:7233"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string // the address Dial uses
		wantErr string // a prefix; "" means valid
	}{
		{name: "default", want: "127.0.0.1:7233"},
		{name: "host:port as given", args: []string{"--address", "temporal:7234"}, want: "temporal:7234"},
		{name: "host gets 7233, not gRPC's 443", args: []string{"--address", "localhost"}, want: "localhost:7233"},
		{name: "host from env gets 7233", env: map[string]string{"TEMPORAL_ADDRESS": "temporal"}, want: "temporal:7233"},
		{name: "FQDN with final dot", args: []string{"--address", "temporal.example.com."}, want: "temporal.example.com.:7233"},
		{name: "Compose service name with underscore", args: []string{"--address", "hello_temporal:7233"}, want: "hello_temporal:7233"},
		{name: "IPv4 gets 7233", args: []string{"--address", "10.0.0.5"}, want: "10.0.0.5:7233"},
		{name: "IPv4:port as given", args: []string{"--address", "10.0.0.5:17233"}, want: "10.0.0.5:17233"},
		{name: "bare IPv6 gets brackets and 7233", args: []string{"--address", "::1"}, want: "[::1]:7233"},
		{name: "bare IPv6 with zone", args: []string{"--address", "fe80::1%eth0"}, want: "[fe80::1%eth0]:7233"},
		{name: "IPv6 with what looks like a port is one IPv6 address", args: []string{"--address", "2001:db8::1:7234"},
			want: "[2001:db8::1:7234]:7233"},
		{name: "bracketed IPv6 gets 7233", env: map[string]string{"TEMPORAL_ADDRESS": "[::1]"}, want: "[::1]:7233"},
		{name: "bracketed IPv6:port as given", args: []string{"--address", "[2001:db8::1]:7233"}, want: "[2001:db8::1]:7233"},
		{name: "Temporal Cloud as given", env: map[string]string{"TEMPORAL_ADDRESS": "my-ns.a1b2c.tmprl.cloud:7233"},
			want: "my-ns.a1b2c.tmprl.cloud:7233"},
		{name: "Temporal Cloud host gets 7233", args: []string{"--address", "my-ns.a1b2c.tmprl.cloud"},
			want: "my-ns.a1b2c.tmprl.cloud:7233"},
		{name: "dns target as given", args: []string{"--address", "dns:///temporal.example.com:7233"},
			want: "dns:///temporal.example.com:7233"},
		{name: "dns target with a DNS server as given", args: []string{"--address", "dns://8.8.8.8:53/temporal.example.com:7233"},
			want: "dns://8.8.8.8:53/temporal.example.com:7233"},
		{name: "dns target host gets 7233", args: []string{"--address", "dns:///temporal.example.com"},
			want: "dns:///temporal.example.com:7233"},
		{name: "passthrough target IPv6 gets 7233", args: []string{"--address", "passthrough:///::1"}, want: "passthrough:///[::1]:7233"},
		{name: "unix socket as given", args: []string{"--address", "unix:///run/temporal.sock"}, want: "unix:///run/temporal.sock"},
		{name: "flag beats a bad env var", args: []string{"--address", "temporal:7233"},
			env: map[string]string{"TEMPORAL_ADDRESS": "not an address"}, want: "temporal:7233"},

		{name: "space", args: []string{"--address", "not an address"},
			wantErr: `invalid --address "not an address": ` + hint + " (it has a space)"},
		{name: "space from env", env: map[string]string{"TEMPORAL_ADDRESS": "not an address"},
			wantErr: `invalid TEMPORAL_ADDRESS "not an address": ` + hint},
		{name: "trailing newline from env", env: map[string]string{"TEMPORAL_ADDRESS": "temporal:7233\n"},
			wantErr: `invalid TEMPORAL_ADDRESS "temporal:7233\n": ` + hint + ` (it has the character '\n')`},
		{name: "empty", args: []string{"--address", ""}, wantErr: "invalid --address: must not be empty"},
		{name: "empty host", args: []string{"--address", ":7233"}, wantErr: `invalid --address ":7233": ` + hint + " (the host is empty)"},
		{name: "empty host from env", env: map[string]string{"TEMPORAL_ADDRESS": "[]:7233"}, wantErr: `invalid TEMPORAL_ADDRESS "[]:7233": ` + hint},
		{name: "empty port", args: []string{"--address", "temporal:"}, wantErr: `invalid --address "temporal:": ` + hint + " (the port is empty)"},
		{name: "port not a number", args: []string{"--address", "temporal:http"},
			wantErr: `invalid --address "temporal:http": ` + hint + " (port http is not a number)"},
		{name: "negative port", args: []string{"--address", "temporal:-1"}, wantErr: `invalid --address "temporal:-1": ` + hint},
		{name: "port 0", env: map[string]string{"TEMPORAL_ADDRESS": "temporal:0"},
			wantErr: `invalid TEMPORAL_ADDRESS "temporal:0": ` + hint + " (port 0 is not between 1 and 65535)"},
		{name: "port too large", args: []string{"--address", "temporal:65536"},
			wantErr: `invalid --address "temporal:65536": ` + hint + " (port 65536 is not between 1 and 65535)"},
		{name: "not a DNS name", args: []string{"--address", "temporal!:7233"},
			wantErr: `invalid --address "temporal!:7233": ` + hint + " (host temporal! is not an IP address or a DNS name)"},
		{name: "label starts with a hyphen", args: []string{"--address", "-temporal"}, wantErr: `invalid --address "-temporal": ` + hint},
		{name: "empty label", args: []string{"--address", "temporal..example.com:7233"}, wantErr: `invalid --address "temporal..example.com:7233": ` + hint},
		{name: "label too long", args: []string{"--address", strings.Repeat("a", 64) + ".com"}, wantErr: "invalid --address \"aaaa"},
		{name: "neither IPv4 nor a name", args: []string{"--address", "256.1.1.1:7233"},
			wantErr: `invalid --address "256.1.1.1:7233": ` + hint + " (host 256.1.1.1 is not an IP address or a DNS name)"},
		{name: "Temporal Cloud placeholder", env: map[string]string{"TEMPORAL_ADDRESS": "<namespace>.<account>.tmprl.cloud:7233"},
			wantErr: `invalid TEMPORAL_ADDRESS "<namespace>.<account>.tmprl.cloud:7233": ` + hint},
		{name: "too many colons", args: []string{"--address", "2001:db8::1:7233:x"},
			wantErr: `invalid --address "2001:db8::1:7233:x": ` + hint + " (too many colons in address)"},
		{name: "IPv4 in brackets", args: []string{"--address", "[10.0.0.5]:7233"},
			wantErr: `invalid --address "[10.0.0.5]:7233": ` + hint + " (10.0.0.5 in brackets is not an IPv6 address)"},
		{name: "unclosed bracket", args: []string{"--address", "[::1"}, wantErr: `invalid --address "[::1": ` + hint},
		{name: "URL", args: []string{"--address", "https://temporal.example.com:7233"},
			wantErr: `invalid --address "https://temporal.example.com:7233": ` + hint + " (gRPC has no resolver for https://)"},
		{name: "dns target with a bad port", args: []string{"--address", "dns:///temporal:99999"},
			wantErr: `invalid --address "dns:///temporal:99999": ` + hint + " (dns:// target: port 99999 is not between 1 and 65535)"},
		{name: "dns target without a host", args: []string{"--address", "dns:///"}, wantErr: `invalid --address "dns:///": ` + hint},
		{name: "unix target without a path", args: []string{"--address", "unix:"}, wantErr: `invalid --address "unix:": ` + hint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(t, tt.args, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one starting %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("err %q is more than one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if o.Address != tt.want {
				t.Errorf("address = %q, want %q", o.Address, tt.want)
			}
			if !strings.Contains(o.String(), "address="+tt.want+" ") {
				t.Errorf("String() = %q, want it to show address %s", o.String(), tt.want)
			}
		})
	}
}
