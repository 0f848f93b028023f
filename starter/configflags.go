package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/internal/ceext"
	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/sinkref"
	"github.com/hello-cron/cronsource/workflows"
)

// scheduleFlags are the settings that `start` and `update` share, as typed on the command line.
type scheduleFlags struct {
	interval      time.Duration
	cron          []string // the first, then those fired with it
	skipCron      []string
	timezone      string
	jitter        time.Duration
	catchup       string
	catchupWindow time.Duration
	sink          string
	credential    string
	allowedSinks  string
	eventType     string
	source        string
	subject       string
	extensions    []string // name=value, as given
	clearExt      bool     // update only
	delivery      deliveryFlags
	pauseOnFail   int
}

func (f *scheduleFlags) add(fs *pflag.FlagSet) {
	fs.DurationVar(&f.interval, "interval", 10*time.Second, "time between ticks (at least 100ms)")
	fs.StringArrayVar(&f.cron, "cron", nil, `cron expression with 5 or 6 fields (seconds first, optional) or a descriptor such as @hourly; `+
		`replaces --interval; repeatable: the source fires at the union of their times`)
	fs.StringArrayVar(&f.skipCron, "skip-cron", nil, `cron expression whose times the source never fires at (holidays, say), `+
		`read in --timezone; repeatable`)
	fs.StringVar(&f.timezone, "timezone", "", "IANA time zone the --cron expression is read in (default UTC)")
	fs.DurationVar(&f.jitter, "jitter", 0, "delay each tick's sending by a deterministic amount below this (less than --interval)")
	fs.StringVar(&f.catchup, "catchup", string(workflows.CatchupAll), "missed ticks to deliver: all, latest or skip")
	fs.DurationVar(&f.catchupWindow, "catchup-window", 0, "skip missed ticks older than this, whatever --catchup says (0: no limit)")
	fs.StringVar(&f.sink, "sink", "", "this source's sink URL, with no user or password in it (default: the worker's)")
	fs.StringVar(&f.credential, "sink-credential", "",
		"name of the worker's credential for the sink (a folder in the worker's --sink-credentials); the secret never enters Temporal")
	fs.StringVar(&f.allowedSinks, "allowed-sinks", "",
		"the origins the workers allow (their --allowed-sinks): a sink outside them is refused here")
	envflag.Bind(fs, "allowed-sinks", "ALLOWED_SINKS")
	fs.StringVar(&f.eventType, "type", workflows.DefaultType, "CloudEvent type")
	fs.StringVar(&f.source, "source", workflows.DefaultSource, "CloudEvent source")
	fs.StringVar(&f.subject, "subject", "", `CloudEvent subject of every event ("": none)`)
	fs.StringArrayVar(&f.extensions, "extension", nil,
		"CloudEvent extension attribute name=value, repeatable; names use a-z and 0-9 and win over the worker's K_CE_OVERRIDES")
	f.delivery.add(fs)
	fs.IntVar(&f.pauseOnFail, "pause-on-failure", 0,
		"pause the source after this many ticks in a row were rejected or undeliverable (0: never); resume starts it again")
}

// firstCron is the first --cron, "" if none; extraCron are the others, those fired with it.
func (f *scheduleFlags) firstCron() string {
	if len(f.cron) == 0 {
		return ""
	}
	return f.cron[0]
}

func (f *scheduleFlags) extraCron() []string {
	if len(f.cron) < 2 {
		return nil
	}
	return f.cron[1:]
}

// nonBlank is list without its empty strings, nil if none is left.
func nonBlank(list []string) []string {
	var out []string
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// addUpdate adds the flags that only `update` has.
func (f *scheduleFlags) addUpdate(fs *pflag.FlagSet) {
	f.add(fs)
	fs.BoolVar(&f.clearExt, "clear-extensions", false, "remove all of the source's extension attributes (--extension replaces them all)")
}

// extensionMap parses --extension: name=value pairs with distinct names that ceext.CheckName
// accepts. None gives nil.
func (f *scheduleFlags) extensionMap() (map[string]string, error) {
	var ext map[string]string
	for _, pair := range f.extensions {
		name, value, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("invalid --extension %q: must be name=value", pair)
		}
		if err := ceext.CheckName(name); err != nil {
			return nil, fmt.Errorf("invalid --extension %q: %w", pair, err)
		}
		if _, dup := ext[name]; dup {
			return nil, fmt.Errorf("invalid --extension %q: %s is given twice", pair, name)
		}
		if ext == nil {
			ext = map[string]string{}
		}
		ext[name] = value
	}
	return ext, nil
}

// config fills c from every flag, for `start`. --cron replaces the default --interval.
func (f *scheduleFlags) config(fs *pflag.FlagSet, c *workflows.Config) error {
	ext, err := f.extensionMap()
	if err != nil {
		return err
	}
	c.Extensions, c.Subject = ext, f.subject
	c.Interval, c.Timezone, c.Jitter = f.interval, f.timezone, f.jitter
	c.Cron, c.ExtraCron = f.firstCron(), f.extraCron()
	c.SkipCron = nonBlank(f.skipCron)
	if c.Cron != "" && !fs.Changed("interval") {
		c.Interval = 0
	}
	c.Catchup, c.CatchupWindow = workflows.CatchupPolicy(f.catchup), f.catchupWindow
	c.Sink, c.SinkCredential, c.Type, c.Source = f.sink, f.credential, f.eventType, f.source
	c.PauseOnFailure = f.pauseOnFail
	c.Delivery, err = f.delivery.policy(fs)
	return err
}

// patch has the flags that were given, for `update`.
func (f *scheduleFlags) patch(fs *pflag.FlagSet) (workflows.ConfigPatch, error) {
	var p workflows.ConfigPatch
	if fs.Changed("interval") && fs.Changed("cron") {
		return p, fmt.Errorf("invalid --cron %q: cannot be used with --interval", f.firstCron())
	}
	catchup := workflows.CatchupPolicy(f.catchup)
	for name, set := range map[string]func(){
		"interval": func() { p.Interval = &f.interval },
		"cron": func() {
			cron, extra := f.firstCron(), f.extraCron()
			p.Cron, p.ExtraCron = &cron, &extra
		},
		"skip-cron": func() {
			skip := nonBlank(f.skipCron) // --skip-cron "" removes them
			p.SkipCron = &skip
		},
		"timezone":         func() { p.Timezone = &f.timezone },
		"jitter":           func() { p.Jitter = &f.jitter },
		"catchup":          func() { p.Catchup = &catchup },
		"catchup-window":   func() { p.CatchupWindow = &f.catchupWindow },
		"sink":             func() { p.Sink = &f.sink },
		"sink-credential":  func() { p.SinkCredential = &f.credential },
		"type":             func() { p.Type = &f.eventType },
		"source":           func() { p.Source = &f.source },
		"subject":          func() { p.Subject = &f.subject },
		"pause-on-failure": func() { p.PauseOnFailure = &f.pauseOnFail },
	} {
		if fs.Changed(name) {
			set()
		}
	}
	switch {
	case fs.Changed("extension") && f.clearExt:
		return p, fmt.Errorf("invalid --clear-extensions: cannot be used with --extension, which replaces them all")
	case fs.Changed("extension"):
		ext, err := f.extensionMap()
		if err != nil {
			return p, err
		}
		p.Extensions = &ext
	case f.clearExt:
		p.Extensions = &map[string]string{}
	}
	policy, err := f.delivery.policy(fs)
	if err != nil {
		return p, err
	}
	if policy != nil {
		p.Delivery = policy // the whole policy: flags left out take their defaults
	}
	if p.Empty() {
		return p, fmt.Errorf("nothing to update: give at least one of --interval, --cron, --skip-cron, --timezone, --jitter, --catchup, --catchup-window, " +
			"--sink, --sink-credential, --type, --source, --subject, --extension, --clear-extensions, --retry, --backoff-policy, " +
			"--backoff-delay, --timeout, --max-age, --pause-on-failure")
	}
	return p, nil
}

// checkSinks refuses a sink URL (flag name, value) that carries a user or password, which would
// be stored in Temporal history in plaintext, and, given --allowed-sinks, one that the workers
// would reject.
func (f *scheduleFlags) checkSinks(fs *pflag.FlagSet, lookupEnv func(string) (string, bool), sinks ...[2]string) error {
	allowed, err := sinkref.ParseOrigins(f.allowedSinks)
	if err != nil {
		return fmt.Errorf("invalid %s: %w", envflag.Source(fs, "allowed-sinks", lookupEnv), err)
	}
	policy := sink.Policy{Allowed: allowed}
	for _, s := range sinks {
		flag, value := s[0], s[1]
		if value == "" {
			continue // the worker's own sink
		}
		if u, err := url.Parse(value); err == nil && u.User != nil {
			return fmt.Errorf("invalid --%s %q: has a user or password in it, which Temporal history would keep in plaintext: "+
				"give the worker a credential and name it with --%s-credential (docs/security.md)", flag, sinkref.Redact(value), flag)
		}
		if err := policy.Check(value); err != nil {
			return fmt.Errorf("invalid --%s %q: %w (%s)", flag, value, err, envflag.Source(fs, "allowed-sinks", lookupEnv))
		}
	}
	return nil
}

// timeFlag is an RFC 3339 time flag; empty means unset.
type timeFlag struct{ t *time.Time }

func (f timeFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("must be an RFC 3339 time such as 2026-12-01T09:00:00Z")
	}
	*f.t = t
	return nil
}

func (timeFlag) Type() string { return "time" }
