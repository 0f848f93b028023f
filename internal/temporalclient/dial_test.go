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
