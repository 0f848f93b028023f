package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/activities/contract"
	"github.com/hello-cron/cronsource/workflows"
)

// sourceFlags are the flags that describe a whole source, for `start` and `apply`: its
// workflow id, its configuration, and whether it starts paused.
type sourceFlags struct {
	id                                string
	sched                             scheduleFlags
	cfg                               workflows.Config
	mode, data, dataBase64, dataCType string
	paused                            bool
	pauseReason                       string
	group                             string // the group that runs the source; "": none
}

func (f *sourceFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.id, "workflow-id", "hello-cron", "workflow id of the source")
	addGroupFlag(fs, &f.group)
	f.sched.add(fs)
	fs.Var(timeFlag{&f.cfg.StartAt}, "start-at", "time of the first tick, RFC 3339 (default: one interval or the next cron time from now)")
	fs.Var(timeFlag{&f.cfg.EndAt}, "end-at", "the source ends after the last tick due by this time, RFC 3339")
	fs.Int64Var(&f.cfg.MaxTicks, "max-ticks", 0, "the source ends after this many ticks (0: no limit)")
	fs.StringVar(&f.cfg.DeadLetterSink, "dead-letter-sink", "", "URL that receives the ticks the sink rejects for good, with no user or password in it")
	fs.StringVar(&f.cfg.DeadLetterSinkCredential, "dead-letter-sink-credential", "", "name of the worker's credential for the dead-letter sink")
	fs.StringVar(&f.data, "data", "", `event payload (default: {"Id":"<workflow id>","JobId":"<sequence>"})`)
	fs.StringVar(&f.dataBase64, "data-base64", "", "event payload, base64-encoded (instead of --data)")
	fs.StringVar(&f.dataCType, "data-content-type", "", "media type of --data or --data-base64 (default application/json)")
	fs.StringVar(&f.mode, "content-mode", string(contract.Binary), "binary or structured")
	fs.BoolVar(&f.paused, "paused", false, "start the source paused: no tick is sent until resume, and the ticks due meanwhile follow --catchup")
	fs.StringVar(&f.pauseReason, "reason", "", "with --paused: why, shown by describe and list (default \""+workflows.DefaultStartPausedReason+"\")")
	fs.IntVar(&f.cfg.ContinueAsNewAfter, "continue-as-new-after", workflows.DefaultContinueAsNewAfter, "ticks per workflow run before it continues as new")
}

// input is the source the flags describe, checked as a start at now would check it.
func (f *sourceFlags) input(fs *pflag.FlagSet, lookupEnv func(string) (string, bool), now time.Time) (workflows.Input, error) {
	cfg := f.cfg
	if err := f.sched.config(fs, &cfg); err != nil {
		return workflows.Input{}, err
	}
	if err := f.sched.checkSinks(fs, lookupEnv, [2]string{"sink", cfg.Sink},
		[2]string{"dead-letter-sink", cfg.DeadLetterSink}); err != nil {
		return workflows.Input{}, err
	}
	cfg.ContentMode = contract.ContentMode(f.mode)
	if err := payload(&cfg, fs.Changed("data"), f.data, f.dataBase64, f.dataCType); err != nil {
		return workflows.Input{}, err
	}
	if err := cfg.ValidateStart(now); err != nil {
		return workflows.Input{}, err
	}
	in := workflows.Input{Config: cfg}
	switch {
	case f.paused:
		in.State = workflows.PausedAtStart(f.pauseReason)
	case f.pauseReason != "":
		return workflows.Input{}, fmt.Errorf("invalid --reason %q: only applies with --paused", f.pauseReason)
	}
	return in, nil
}

// payload sets the event data from --data or --data-base64.
func payload(cfg *workflows.Config, dataSet bool, data, dataBase64, contentType string) error {
	switch {
	case dataSet && dataBase64 != "":
		return fmt.Errorf("invalid --data-base64: cannot be used with --data")
	case dataSet:
		cfg.Data = []byte(data)
	case dataBase64 != "":
		b, err := workflows.DecodeDataBase64(dataBase64)
		if err != nil {
			return err
		}
		cfg.Data = b
	case contentType != "":
		return fmt.Errorf("invalid --data-content-type %q: only applies with --data or --data-base64", contentType)
	}
	cfg.DataContentType = contentType
	return nil
}
