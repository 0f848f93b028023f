package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// sinkPolicy reads the flags that say where the worker may post and with which credentials, and
// where the OIDC token of env may go.
func (o *options) sinkPolicy(fs *pflag.FlagSet, lookupEnv func(string) (string, bool), env sink.Env) (sink.Policy, sink.Credentials, error) {
	p := sink.Policy{Home: env.Sink, TokenFile: env.TokenFile}
	origins := func(name, value string) (sinkref.Origins, error) {
		list, err := sinkref.ParseOrigins(value)
		if err != nil {
			return nil, fmt.Errorf("invalid %s: %w", envflag.Source(fs, name, lookupEnv), err)
		}
		return list, nil
	}
	var err error
	if p.Allowed, err = origins("allowed-sinks", o.allowedSinks); err != nil {
		return p, sink.Credentials{}, err
	}
	if p.TokenOrigins, err = origins("oidc-token-origins", o.tokenOrigins); err != nil {
		return p, sink.Credentials{}, err
	}
	credentials := sink.Credentials{Dir: o.credentialsDir}
	if o.credentialsDir != "" {
		if _, err := credentials.Check(); err != nil {
			return p, credentials, fmt.Errorf("invalid %s %q: %w",
				envflag.Source(fs, "sink-credentials", lookupEnv), o.credentialsDir, err)
		}
	}
	return p, credentials, nil
}
