package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxWorkflowID is Temporal's default limit on an id's length, in bytes (limit.maxIDLength).
const maxWorkflowID = 1000

// checkID refuses a --workflow-id or --group (flag) that Temporal would take but no one means:
// blank, with spaces around it (a second source beside "hello-cron"), or with control
// characters or invalid UTF-8 that no tool shows as typed.
func checkID(flag, id string) error {
	reason := ""
	switch {
	case strings.TrimSpace(id) == "":
		reason = "must not be empty or blank"
	case strings.TrimSpace(id) != id:
		reason = "must not start or end with a space"
	case !utf8.ValidString(id):
		reason = "must be valid UTF-8"
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		reason = "must not hold control characters"
	case len(id) > maxWorkflowID:
		reason = fmt.Sprintf("must be at most %d bytes", maxWorkflowID)
	default:
		return nil
	}
	return fmt.Errorf("invalid --%s %q: %s", flag, id, reason)
}
