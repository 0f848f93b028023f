package sinkref

import (
	"errors"
	"strings"
)

// CheckCredentialName refuses a name that cannot be a credential's: lower-case letters, digits,
// '-' and '.', as Kubernetes names Secrets.
func CheckCredentialName(name string) error {
	if !isCredentialName(name) {
		return errors.New("must be a credential name: lower-case letters, digits, '-' and '.', as a Kubernetes Secret's")
	}
	return nil
}

// isCredentialName: a Kubernetes object name (at most 253 lower-case letters, digits, '-' and
// '.', beginning and ending with a letter or digit), and no "..", so also a safe file name.
func isCredentialName(name string) bool {
	if name == "" || len(name) > 253 || strings.Contains(name, "..") {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	for i := 0; i < len(name); i++ {
		if c := name[i]; !alnum(c) && c != '-' && c != '.' {
			return false
		}
	}
	return alnum(name[0]) && alnum(name[len(name)-1])
}
