package cli

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spf13/cobra"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		runErr  error
		wantErr bool
	}{
		{"success", nil, false},
		{"failure", errors.New("invalid --x"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sawContext bool
			cmd := &cobra.Command{Use: "x", SilenceErrors: true, SilenceUsage: true,
				RunE: func(cmd *cobra.Command, _ []string) error {
					sawContext = cmd.Context() != nil
					return tt.runErr
				}}
			cmd.SetArgs(nil)
			err := Run(cmd)
			if (err != nil) != tt.wantErr || !sawContext {
				t.Errorf("Run = %v (context %v), want error %v", err, sawContext, tt.wantErr)
			}
		})
	}
}

func TestReport(t *testing.T) {
	var buf bytes.Buffer
	report(&buf, "worker", errors.New("invalid --sink \"x\": must be an http or https URL"))
	if got, want := buf.String(), "worker: invalid --sink \"x\": must be an http or https URL\n"; got != want {
		t.Errorf("report = %q, want %q", got, want)
	}
}
