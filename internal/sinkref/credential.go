package sinkref

import (
	"errors"
	"regexp"
	"strings"
)

// credentialName is a Kubernetes object name, which is also a safe file name.
var credentialName = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)

// CheckCredentialName refuses a name that cannot be a credential's: lower-case letters, digits,
// '-' and '.', as Kubernetes names Secrets.
func CheckCredentialName(name string) error {
	if !credentialName.MatchString(name) || strings.Contains(name, "..") {
		return errors.New("must be a credential name: lower-case letters, digits, '-' and '.', as a Kubernetes Secret's")
	}
	return nil
}
