package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
)

// TestCredentialsGoWithTheTicks: every tick names the source's sink credential, a rejected
// tick's dead letter names the dead-letter sink's, and the status shows the last rejection,
// its sink without user or password, carried across continue-as-new.
func TestCredentialsGoWithTheTicks(t *testing.T) {
	const reason = "sink rejected the event: 403 Forbidden"
	tests := []struct {
		name           string
		deadLetterSink string
		rejectedBy     string // the Rejection's sink, as the activity reports it
		wantSink       string // as the status shows it
	}{
		{name: "with a dead-letter sink", deadLetterSink: "http://dls/", rejectedBy: "http://sink/in", wantSink: "http://sink/in"},
		{name: "without a dead-letter sink", rejectedBy: "http://sink/in", wantSink: "http://sink/in"},
		{name: "a user and password in the rejection's sink", deadLetterSink: "http://dls/",
			rejectedBy: "http://cron:s3cret@sink/in", wantSink: "http://sink/in"},
		{name: "a token in the rejection's sink", deadLetterSink: "http://dls/",
			rejectedBy: "http://t0k3n@sink/in", wantSink: "http://sink/in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
				if tick.Sequence == 2 {
					return temporal.NewNonRetryableApplicationError(reason, contract.ErrRejected, nil,
						contract.Rejection{Sink: tt.rejectedBy, StatusCode: 403, Reason: reason, Attempt: 1})
				}
				return nil
			}})
			cfg := Config{Interval: s(10), Sink: "http://sink/in", SinkCredential: "sink-cred",
				DeadLetterSink: tt.deadLetterSink, DeadLetterSinkCredential: "dls-cred", ContinueAsNewAfter: 3}
			if tt.deadLetterSink == "" {
				cfg.DeadLetterSinkCredential = ""
			}
			next := h.run(t, Input{Config: cfg})

			if len(h.got) != 3 {
				t.Fatalf("sent %d ticks, want 3", len(h.got))
			}
			for _, d := range h.got {
				if d.tick.SinkCredential != "sink-cred" {
					t.Errorf("tick %d names credential %q, want sink-cred", d.tick.Sequence, d.tick.SinkCredential)
				}
			}
			wantDeadLetters := 0
			if tt.deadLetterSink != "" {
				wantDeadLetters = 1
			}
			if len(h.deadLetters) != wantDeadLetters {
				t.Fatalf("dead-lettered %d ticks, want %d", len(h.deadLetters), wantDeadLetters)
			}
			for _, dl := range h.deadLetters {
				if dl.Sink != tt.deadLetterSink || dl.Credential != "dls-cred" || dl.Tick.Sequence != 2 {
					t.Errorf("dead letter to %s with credential %q of tick %d; want %s, dls-cred, tick 2",
						dl.Sink, dl.Credential, dl.Tick.Sequence, tt.deadLetterSink)
				}
			}
			want := RejectionStatus{Sequence: 2, ID: EventID("default-test-run-id", 2), Sink: tt.wantSink,
				StatusCode: 403, Reason: reason}
			if got := next.State.LastRejection; got == nil || *got != want {
				t.Errorf("carried last rejection %+v, want %+v", got, want)
			}
			var st Status
			v, err := h.env.QueryWorkflow(QueryStatus)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if err := v.Get(&st); err != nil {
				t.Fatal(err)
			}
			if st.LastRejection == nil || *st.LastRejection != want {
				t.Errorf("status shows last rejection %+v, want %+v", st.LastRejection, want)
			}
			if st.SinkCredential != "sink-cred" || st.DeadLetterSinkCredential != cfg.DeadLetterSinkCredential {
				t.Errorf("status shows credentials %q and %q, want sink-cred and %q",
					st.SinkCredential, st.DeadLetterSinkCredential, cfg.DeadLetterSinkCredential)
			}
		})
	}
}

// TestNewSinkCredentialAppliesToTheTickInFlight: the sink refuses the old credential until an
// update at 30 s changes or removes it; the tick in flight is sent again with the new one.
func TestNewSinkCredentialAppliesToTheTickInFlight(t *testing.T) {
	tests := []struct {
		name string
		to   string
	}{
		{name: "changed", to: "new"},
		{name: "removed", to: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, answer{err: func(_ int, tick contract.Tick) error {
				if tick.SinkCredential == "old" {
					return temporal.NewApplicationError("sink credential \"old\": no folder", contract.ErrCredential)
				}
				return nil
			}})
			to := tt.to
			up := h.update(t, s(30), UpdateConfig, ConfigPatch{SinkCredential: &to})
			next := h.run(t, Input{Config: Config{Interval: s(10), Sink: "http://sink/in", SinkCredential: "old", ContinueAsNewAfter: 3}})
			if up.rejected != nil || up.err != nil || !up.done {
				t.Fatalf("update: %+v", up)
			}
			var before, after []delivery
			for _, d := range h.got {
				if d.at.Before(t0.Add(s(30))) {
					before = append(before, d)
				} else {
					after = append(after, d)
				}
			}
			if len(before) < 2 {
				t.Errorf("%d attempts before the update, want tick 1 retried", len(before))
			}
			for _, d := range before {
				if d.tick.SinkCredential != "old" || d.tick.Sequence != 1 {
					t.Errorf("before the update got tick %d with %q, want tick 1 with the old credential", d.tick.Sequence, d.tick.SinkCredential)
				}
			}
			if len(after) == 0 || after[0].tick.SinkCredential != tt.to || after[0].tick.Sequence != 1 ||
				after[0].tick.ID != EventID("default-test-run-id", 1) || after[0].tick.Sink != "http://sink/in" {
				t.Fatalf("after the update got %+v, want tick 1 with its id and sink, credential %q", after, tt.to)
			}
			for _, d := range after {
				if d.tick.SinkCredential != tt.to {
					t.Errorf("tick %d names %q, want %q", d.tick.Sequence, d.tick.SinkCredential, tt.to)
				}
			}
			if next.Config.SinkCredential != tt.to || next.State.Delivered != 3 || next.State.Rejected != 0 {
				t.Errorf("carried credential %q, delivered %d, rejected %d; want %q, 3, 0",
					next.Config.SinkCredential, next.State.Delivered, next.State.Rejected, tt.to)
			}
		})
	}
}

// TestUpdateRefusesABadSinkCredential: the update's validator checks the credential's name, and
// a refused update leaves the source's as it was.
func TestUpdateRefusesABadSinkCredential(t *testing.T) {
	for _, name := range []string{"Broker", "../etc"} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, answer{})
			bad := name
			r := h.update(t, s(15), UpdateConfig, ConfigPatch{SinkCredential: &bad})
			next := h.run(t, Input{Config: Config{Interval: s(10), SinkCredential: "old", ContinueAsNewAfter: 3}})
			if want := `invalid --sink-credential "` + name + `"`; r.rejected == nil || !strings.Contains(r.rejected.Error(), want) {
				t.Fatalf("rejected with %v, want %q", r.rejected, want)
			}
			if next.Config.SinkCredential != "old" {
				t.Errorf("a refused update changed the credential to %q", next.Config.SinkCredential)
			}
		})
	}
}

func TestConfigValidateSinkCredentials(t *testing.T) {
	const reason = "must be a credential name"
	tests := []struct {
		name, sinkCred, dlsCred string
		wantErr                 string
	}{
		{name: "none"},
		{name: "names", sinkCred: "broker", dlsCred: "dls.example-1"},
		{name: "longest", sinkCred: strings.Repeat("a", 253)},
		{name: "upper case", sinkCred: "Broker", wantErr: `invalid --sink-credential "Broker": ` + reason},
		{name: "underscore", sinkCred: "a_b", wantErr: `invalid --sink-credential "a_b": ` + reason},
		{name: "a path", sinkCred: "../etc", wantErr: `invalid --sink-credential "../etc": ` + reason},
		{name: "a folder in it", sinkCred: "a/b", wantErr: `invalid --sink-credential "a/b": ` + reason},
		{name: "two dots", sinkCred: "a..b", wantErr: `invalid --sink-credential "a..b": ` + reason},
		{name: "leading dash", sinkCred: "-a", wantErr: `invalid --sink-credential "-a": ` + reason},
		{name: "trailing dot", sinkCred: "a.", wantErr: `invalid --sink-credential "a.": ` + reason},
		{name: "too long", sinkCred: strings.Repeat("a", 254), wantErr: `invalid --sink-credential "aaaa`},
		{name: "blank", sinkCred: " ", wantErr: `invalid --sink-credential " ": ` + reason},
		{name: "dead letter, upper case", dlsCred: "DLS", wantErr: `invalid --dead-letter-sink-credential "DLS": ` + reason},
		{name: "dead letter, a path", sinkCred: "ok", dlsCred: "/etc", wantErr: `invalid --dead-letter-sink-credential "/etc": ` + reason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Interval: time.Second, Sink: "https://sink", DeadLetterSink: "https://dls",
				SinkCredential: tt.sinkCred, DeadLetterSinkCredential: tt.dlsCred}
			err := c.Validate()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
