package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hello-cron/cronsource/internal/envflag"
	"github.com/hello-cron/cronsource/internal/sink"
)

// sinkPolicy reads the flags that say where the worker may post and with which credentials.
func (o *options) sinkPolicy(cmd *cobra.Command, lookupEnv func(string) (string, bool)) (sink.Policy, sink.Credentials, error) {
	p := sink.Policy{Home: o.sink, TokenFile: o.oidcTokenFile}
	origins := func(name, value string) (sink.Origins, error) {
		list, err := sink.ParseOrigins(value)
		if err != nil {
			return nil, fmt.Errorf("invalid %s: %w", envflag.Source(cmd.Flags(), name, lookupEnv), err)
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
				envflag.Source(cmd.Flags(), "sink-credentials", lookupEnv), o.credentialsDir, err)
		}
	}
	return p, credentials, nil
}
