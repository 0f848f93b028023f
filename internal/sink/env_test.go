package sink

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/internal/envflag"
)

// TestReadEnv: the contract is read from the flags, which beat their variables, and from
// K_CE_OVERRIDES and K_CA_CERTS; a bad value gives one line naming its flag or variable, with
// no password in it.
func TestReadEnv(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("t0k3n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		want      Env // Roots is only checked for being set or not
		wantRoots bool
		wantErr   string // the whole message; "" means accepted
	}{
		{name: "nothing set", want: Env{TokenFile: DefaultOIDCTokenFile}},
		{name: "K_SINK", env: map[string]string{"K_SINK": "http://broker/ns", "SINK": "http://other"},
			want: Env{Sink: "http://broker/ns", TokenFile: DefaultOIDCTokenFile}},
		{name: "SINK", env: map[string]string{"SINK": "http://events:8080"},
			want: Env{Sink: "http://events:8080", TokenFile: DefaultOIDCTokenFile}},
		{name: "--sink beats K_SINK", args: []string{"--sink", "https://a.example.com"}, env: map[string]string{"K_SINK": "ftp://x"},
			want: Env{Sink: "https://a.example.com", TokenFile: DefaultOIDCTokenFile}},
		{name: "--sink not a URL", args: []string{"--sink", "events:8080"},
			wantErr: `invalid --sink "events:8080": must be an http or https URL`},
		{name: "K_SINK with a password", env: map[string]string{"K_SINK": "ftp://cron:pa55@x"},
			wantErr: `invalid K_SINK "ftp://cron:xxxxx@x": must be an http or https URL`},
		{name: "SINK without a host", env: map[string]string{"SINK": "http://"},
			wantErr: `invalid SINK "http://": must have a host`},
		{name: "token file", args: []string{"--oidc-token-file", token}, want: Env{TokenFile: token}},
		{name: "token off", args: []string{"--oidc-token-file", ""}, want: Env{}},
		{name: "token file a directory", args: []string{"--oidc-token-file", dir},
			wantErr: `invalid --oidc-token-file "` + dir + `": is a directory, not a file`},
		{name: "overrides", env: map[string]string{"K_CE_OVERRIDES": `{"extensions":{"team":"platform"}}`},
			want: Env{Overrides: map[string]string{"team": "platform"}, TokenFile: DefaultOIDCTokenFile}},
		{name: "overrides replace an attribute", env: map[string]string{"K_CE_OVERRIDES": `{"extensions":{"id":"x"}}`},
			wantErr: `invalid K_CE_OVERRIDES: extension "id" would replace an attribute the source sets`},
		{name: "CA certificates", env: map[string]string{"K_CA_CERTS": selfSignedPEM(t)},
			want: Env{TokenFile: DefaultOIDCTokenFile}, wantRoots: true},
		{name: "CA certificates not PEM", env: map[string]string{"K_CA_CERTS": "not a certificate"},
			wantErr: "invalid K_CA_CERTS: no PEM certificate found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
			AddEnvFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			if err := envflag.Apply(fs, lookup); err != nil {
				t.Fatal(err)
			}
			got, err := ReadEnv(fs, lookup)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pa55") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got.Roots != nil) != tt.wantRoots {
				t.Errorf("Roots set %v, want %v", got.Roots != nil, tt.wantRoots)
			}
			got.Roots = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadEnv = %+v, want %+v", got, tt.want)
			}
		})
	}
}
