package main

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/workflows"
)

func TestDeliveryFlags(t *testing.T) {
	three := int32(3)
	tests := []struct {
		args    []string
		want    *workflows.DeliveryPolicy
		wantErr string
	}{
		{args: nil, want: nil},
		{args: []string{"--retry", "3"}, want: &workflows.DeliveryPolicy{Retry: &three, Backoff: contract.Exponential, BackoffDelay: time.Second}},
		{args: []string{"--backoff-policy", "linear", "--backoff-delay", "PT0.5S", "--timeout", "PT5S", "--max-age", "PT1H"},
			want: &workflows.DeliveryPolicy{Backoff: contract.Linear, BackoffDelay: 500 * time.Millisecond, Timeout: 5 * time.Second, MaxAge: time.Hour}},
		{args: []string{"--max-age", "90m"}, want: &workflows.DeliveryPolicy{Backoff: contract.Exponential, BackoffDelay: time.Second, MaxAge: 90 * time.Minute}},
		{args: []string{"--retry", "unlimited"}, want: &workflows.DeliveryPolicy{Backoff: contract.Exponential, BackoffDelay: time.Second}},
		{args: []string{"--retry", "-1"}, wantErr: `invalid --retry "-1": must be a number from 0, or unlimited`},
		{args: []string{"--retry", "lots"}, wantErr: `invalid --retry "lots"`},
		{args: []string{"--backoff-delay", "P1M"}, wantErr: `invalid --backoff-delay "P1M": must be an ISO-8601 duration with units W, D, H, M and S`},
		{args: []string{"--timeout", "soon"}, wantErr: `invalid --timeout "soon": must be an ISO-8601 duration such as PT1S`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var f deliveryFlags
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			f.add(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := f.policy(fs)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case (got == nil) != (tt.want == nil) || got != nil && (!got.Equal(tt.want) || got.String() != tt.want.String()):
				t.Errorf("policy %v, want %v", got, tt.want)
			}
		})
	}
}
