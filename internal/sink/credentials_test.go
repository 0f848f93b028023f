package sink

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hello-cron/cronsource/internal/cmdtest"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

func TestCredentials(t *testing.T) {
	const origin = "https://broker.example.com"
	tests := []struct {
		name    string
		files   map[string]string // nil: no folder
		url     string            // the request it is applied to; default origin + "/in"
		want    string            // the Authorization header set
		wantErr string
		foreign bool // the error is a *ForeignOriginError, not a *CredentialError
	}{
		{name: "basic", files: map[string]string{"origin": origin + "\n", "username": "cron\n", "password": "s3cret\n"},
			want: "Basic Y3JvbjpzM2NyZXQ="},
		{name: "token", files: map[string]string{"origin": origin, "token": " tok-123\n"}, want: "Bearer tok-123"},
		{name: "one of several origins", files: map[string]string{"origin": "https://a.example.com\n" + origin + ":443\n", "token": "t"},
			want: "Bearer t"},
		{name: "origins separated by commas", files: map[string]string{"origin": "https://a.example.com, " + origin, "token": "t"},
			want: "Bearer t"},
		{name: "another origin", files: map[string]string{"origin": origin, "token": "t"}, url: "https://evil.example.com/in",
			wantErr: `sink credential "c" is for https://broker.example.com:443, not for https://evil.example.com:443`, foreign: true},
		{name: "another scheme", files: map[string]string{"origin": origin, "token": "t"}, url: "http://broker.example.com:443/in",
			wantErr: "not for http://broker.example.com:443", foreign: true},
		{name: "missing", wantErr: `sink credential "c": no folder `},
		{name: "no origin", files: map[string]string{"token": "t"}, wantErr: "no file origin"},
		{name: "origin with a path", files: map[string]string{"origin": origin + "/in", "token": "t"},
			wantErr: "must be an origin only"},
		{name: "password without user", files: map[string]string{"origin": origin, "password": "p"},
			wantErr: "needs both username and password"},
		{name: "token and password", files: map[string]string{"origin": origin, "token": "t", "username": "u", "password": "p"},
			wantErr: "keep one"},
		{name: "empty token", files: map[string]string{"origin": origin, "token": "\n"}, wantErr: "token is empty"},
		{name: "nothing to send", files: map[string]string{"origin": origin}, wantErr: "has neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.files != nil {
				cmdtest.WriteCredential(t, dir, "c", tt.files)
			}
			if tt.url == "" {
				tt.url = origin + "/in"
			}
			req := httptest.NewRequest(http.MethodPost, tt.url, nil)
			cred, err := Credentials{Dir: dir}.Load("c")
			if err == nil {
				err = cred.Apply(req)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := req.Header.Get("Authorization"); got != tt.want {
					t.Errorf("Authorization %q, want %q", got, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			var foreign *ForeignOriginError
			var unusable *CredentialError
			if tt.foreign != errors.As(err, &foreign) || tt.foreign == errors.As(err, &unusable) {
				t.Errorf("err is a %T, want foreign origin %v", err, tt.foreign)
			}
			for _, secret := range []string{"s3cret", "tok-123"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows the secret: %v", err)
				}
			}
			if got := req.Header.Get("Authorization"); got != "" {
				t.Errorf("Authorization %q set on an error", got)
			}
		})
	}
}

// TestCredentialsLoadStaysInItsFolder: a name that is no credential's (see
// sinkref.CheckCredentialName) is refused before any file is read.
func TestCredentialsLoadStaysInItsFolder(t *testing.T) {
	for _, name := range []string{"../x", "a/b", "..", ""} {
		if _, err := (Credentials{Dir: t.TempDir()}).Load(name); err == nil || !strings.Contains(err.Error(), "must be a credential name") {
			t.Errorf("Load(%q) = %v, want a refusal of the name", name, err)
		}
	}
}

// TestCredentialsCheck: a worker refuses to start with a malformed credential, and skips what a
// Kubernetes volume adds.
func TestCredentialsCheck(t *testing.T) {
	dir := t.TempDir()
	cmdtest.WriteCredential(t, dir, "good", map[string]string{"origin": "https://a.example.com", "token": "t"})
	cmdtest.WriteCredential(t, dir, "..data", map[string]string{"x": "y"})
	if err := os.WriteFile(filepath.Join(dir, "README"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	names, err := Credentials{Dir: dir}.Check()
	if err != nil || len(names) != 1 || names[0] != "good" {
		t.Fatalf("Check = %v, %v; want [good]", names, err)
	}
	cmdtest.WriteCredential(t, dir, "bad", map[string]string{"origin": "https://a.example.com"})
	if _, err := (Credentials{Dir: dir}).Check(); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Fatalf("Check = %v, want an error naming bad", err)
	}
	if _, err := (Credentials{Dir: filepath.Join(dir, "none")}).Check(); err == nil {
		t.Fatal("Check of a missing folder passed")
	}
}

func TestPolicyCheck(t *testing.T) {
	allowed, _ := sinkref.ParseOrigins("https://broker.example.com")
	tests := []struct {
		name   string
		policy Policy
		url    string
		want   bool
	}{
		{name: "no list allows any", url: "https://evil.example.com", want: true},
		{name: "listed", policy: Policy{Allowed: allowed}, url: "https://broker.example.com:443/x", want: true},
		{name: "not listed", policy: Policy{Allowed: allowed}, url: "https://evil.example.com/x"},
		{name: "listed host, another port", policy: Policy{Allowed: allowed}, url: "https://broker.example.com:8443/x"},
		{name: "listed host, http", policy: Policy{Allowed: allowed}, url: "http://broker.example.com/x"},
		{name: "the worker's own sink", policy: Policy{Allowed: allowed, Home: "http://events:8080/"}, url: "http://events:8080/in", want: true},
	}
	for _, tt := range tests {
		err := tt.policy.Check(tt.url)
		var notAllowed *NotAllowedError
		if tt.want != (err == nil) || (err != nil && !errors.As(err, &notAllowed)) {
			t.Errorf("%s: Check(%q) = %v, want allowed %v", tt.name, tt.url, err, tt.want)
		}
	}
}
