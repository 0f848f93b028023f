package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/hello-cron/cronsource/internal/sinkref"
)

// Credentials are the sink credentials that the worker holds, so that none is ever put in a
// source's configuration, and so in Temporal history: a source names one, and the worker adds it
// to the request. Each credential is a folder in Dir, named after it (a Kubernetes Secret mounted
// there has this shape), with these files:
//   - origin: the origins it may be sent to, separated by commas or new lines;
//   - username and password, sent as basic auth, or token, sent as "Authorization: Bearer".
//
// The files are read at each request, so that a rotated secret is used from the next one on.
type Credentials struct{ Dir string }

// Credential is one credential, as Credentials.Load reads it.
type Credential struct {
	Name    string
	Origins sinkref.Origins
	// authorization is the Authorization header's value. It is never logged nor put in an error.
	authorization string
}

// CredentialError is a credential the worker cannot use: missing or malformed. Another worker,
// or this one once its files are fixed, may have it, so a delivery that needs it is retried.
type CredentialError struct {
	Name   string
	Reason string
}

func (e *CredentialError) Error() string {
	return fmt.Sprintf("sink credential %q: %s", e.Name, e.Reason)
}

// ForeignOriginError is a credential named for a sink outside its origins: it is not sent.
type ForeignOriginError struct {
	Name, Origin string
	Origins      sinkref.Origins
}

func (e *ForeignOriginError) Error() string {
	return fmt.Sprintf("sink credential %q is for %s, not for %s", e.Name, e.Origins, e.Origin)
}

// Load reads the credential called name. Its errors are *CredentialError.
func (c Credentials) Load(name string) (Credential, error) {
	fail := func(format string, args ...any) (Credential, error) {
		return Credential{}, &CredentialError{Name: name, Reason: fmt.Sprintf(format, args...)}
	}
	if c.Dir == "" {
		return fail("the worker has no --sink-credentials folder")
	}
	if err := sinkref.CheckCredentialName(name); err != nil {
		return fail("%v", err)
	}
	dir := filepath.Join(c.Dir, name)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fail("no folder %s", dir)
	}
	files := map[string]string{}
	for _, f := range []string{"origin", "username", "password", "token"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return fail("read %s: %v", f, errors.Unwrap(err))
		}
		files[f] = strings.TrimRight(string(b), "\r\n")
	}
	origins, err := sinkref.ParseOrigins(strings.ReplaceAll(files["origin"], "\n", ","))
	switch {
	case err != nil:
		return fail("file origin: %v", err)
	case len(origins) == 0:
		return fail("no file origin in %s saying where it may be sent", dir)
	}
	cred := Credential{Name: name, Origins: origins}
	username, hasUser := files["username"]
	password, hasPassword := files["password"]
	token, hasToken := files["token"]
	switch {
	case hasToken && (hasUser || hasPassword):
		return fail("has both a token and a username or password: keep one")
	case hasToken && strings.TrimSpace(token) == "":
		return fail("file token is empty")
	case hasToken:
		cred.authorization = "Bearer " + strings.TrimSpace(token)
	case hasUser != hasPassword:
		return fail("needs both username and password")
	case hasUser:
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(username, password)
		cred.authorization = r.Header.Get("Authorization")
	default:
		return fail("has neither username and password nor token")
	}
	return cred, nil
}

// Check loads every credential in Dir, so that a worker refuses to start with a malformed one.
// It returns their names.
func (c Credentials) Check() ([]string, error) {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("read the folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !isDir(filepath.Join(c.Dir, e.Name())) {
			continue // a Kubernetes volume's ..data, a stray file
		}
		if _, err := c.Load(e.Name()); err != nil {
			return nil, err
		}
		names = append(names, e.Name())
	}
	return names, nil
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// Apply adds the credential to req, which must go to one of its origins: otherwise it returns a
// *ForeignOriginError and leaves req as it is.
func (cr Credential) Apply(req *http.Request) error {
	if !cr.Origins.Contains(req.URL) {
		return &ForeignOriginError{Name: cr.Name, Origin: sinkref.Origin(req.URL), Origins: cr.Origins}
	}
	req.Header.Set("Authorization", cr.authorization)
	return nil
}
