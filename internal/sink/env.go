package sink

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// The variables of Knative's contract with a source's container, as a ContainerSource or a
// SinkBinding sets them, and SINK, which the original demo read.
const (
	EnvSink        = "K_SINK"
	EnvSinkDemo    = "SINK"
	EnvCEOverrides = "K_CE_OVERRIDES"
	EnvCACerts     = "K_CA_CERTS"
)

// Env is Knative's contract with a source's container, as the worker reads it once at start
// (ReadEnv): where to post, what to add to every event, which certificate authorities to
// trust besides the system's, and where the OIDC token is mounted.
type Env struct {
	// Sink is the worker's own sink, for sources without one: --sink, else K_SINK, else SINK;
	// an absolute http or https URL, or "" for none.
	Sink string
	// Overrides are the K_CE_OVERRIDES extensions, set on every event; nil for none.
	Overrides map[string]string
	// Roots are the system pool plus the K_CA_CERTS certificates; nil for the system pool alone.
	Roots *x509.CertPool
	// TokenFile is where the OIDC token is (--oidc-token-file, DefaultOIDCTokenFile unless
	// set), read at each delivery; "" sends none.
	TokenFile string
}

// The flags of AddEnvFlags.
const (
	flagSink      = "sink"
	flagTokenFile = "oidc-token-file"
)

// AddEnvFlags adds the flags that ReadEnv reads: --sink, which falls back to K_SINK and SINK
// (see envflag), and --oidc-token-file.
func AddEnvFlags(fs *pflag.FlagSet) {
	fs.String(flagSink, "", "default sink URL for sources without their own")
	envflag.Bind(fs, flagSink, EnvSink, EnvSinkDemo)
	fs.String(flagTokenFile, DefaultOIDCTokenFile,
		"file whose token is sent to the worker's sink as Authorization: Bearer, over https or to loopback, read at each delivery; no file, no header (empty: off)")
}

// ReadEnv reads and checks the contract: the flags of AddEnvFlags, once envflag.Apply has
// filled them from their variables, and K_CE_OVERRIDES and K_CA_CERTS through lookupEnv (the
// lookup that envflag.Apply used). Its errors are one line that names the flag or variable at
// fault and never shows a password or a token.
func ReadEnv(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) (Env, error) {
	var e Env
	var err error
	if e.Sink, err = fs.GetString(flagSink); err != nil {
		return Env{}, fmt.Errorf("read --%s: %w", flagSink, err)
	}
	if e.Sink != "" {
		if _, err := sinkref.ParseURL(e.Sink); err != nil {
			return Env{}, fmt.Errorf("invalid %s %q: %w", envflag.Source(fs, flagSink, lookupEnv), sinkref.Redact(e.Sink), err)
		}
	}
	if e.TokenFile, err = fs.GetString(flagTokenFile); err != nil {
		return Env{}, fmt.Errorf("read --%s: %w", flagTokenFile, err)
	}
	if err := checkTokenFile(e.TokenFile); err != nil {
		return Env{}, fmt.Errorf("invalid --%s %q: %w", flagTokenFile, e.TokenFile, err)
	}
	overrides, _ := lookupEnv(EnvCEOverrides)
	if e.Overrides, err = ParseOverrides(overrides); err != nil {
		return Env{}, fmt.Errorf("invalid %s: %w", EnvCEOverrides, err)
	}
	caCerts, _ := lookupEnv(EnvCACerts)
	if e.Roots, err = CACertPool(caCerts); err != nil {
		return Env{}, fmt.Errorf("invalid %s: %w", EnvCACerts, err)
	}
	return e, nil
}

// checkTokenFile refuses an OIDC token file that every delivery would fail to read (see
// NewHTTPClient): a path that exists must be a regular file, or a link to one, that can be
// read. A path that does not exist is fine, since Knative mounts the token only when OIDC is on,
// and so is "", which turns it off. The error never shows the token.
func checkTokenFile(file string) error {
	if file == "" {
		return nil
	}
	info, err := os.Stat(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	switch mode := info.Mode(); {
	case mode.IsDir():
		return errors.New("is a directory, not a file")
	case !mode.IsRegular():
		return fmt.Errorf("is not a regular file but %s", describeType(mode))
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Read(make([]byte, 1)); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// describeType names the kind of file that is neither regular nor a directory.
func describeType(mode os.FileMode) string {
	switch {
	case mode&os.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&os.ModeSocket != 0:
		return "a socket"
	case mode&os.ModeDevice != 0:
		return "a device"
	default:
		return "a special file"
	}
}
