package main

// The systems a load scenario runs on, by the names --systems takes.

import (
	"context"
	"slices"
)

// systems are the systems run by default, in order.
func systems() []string {
	return []string{"ours", "cluster", "stock", "classic", "schedules", "ticker"}
}

// allSystems are the names --systems accepts: the default ones, and cluster-stock (the local
// cluster with Temporal's stock dynamic config).
func allSystems() []string { return append(systems(), "cluster-stock") }

// system starts a fresh system of the given name, posting to sinkURL.
func (o *options) system(ctx context.Context, name, sinkURL string) (system, error) {
	switch name {
	case "cluster", "cluster-stock":
		c, err := startCluster(ctx, o.clusterScript, o.binDir, sinkURL, stockConfig(name))
		if err != nil {
			return nil, err
		}
		if note := clusterNote(name, c); !slices.Contains(o.clusterNotes, note) {
			progress("%s", note)
			o.clusterNotes = append(o.clusterNotes, note)
		}
		return c, nil
	case "ticker":
		return newTicker(sinkURL), nil
	case "classic":
		c, err := startClassic(ctx, o.binDir, sinkURL)
		if err != nil {
			return nil, err
		}
		return c, nil
	case "schedules":
		s, err := startSchedules(ctx, o.binDir, sinkURL, o.timerShift, o.devFlags)
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		s, err := o.ourStack(ctx, name, sinkURL, false)
		if err != nil {
			return nil, err
		}
		return ours{s}, nil
	}
}

// ourStack starts a devserver and our worker for the ours or stock system, with the levers of
// --devserver-flag and --worker-flag, and the worker's /metrics if metrics.
func (o *options) ourStack(ctx context.Context, name, sinkURL string, metrics bool) (*stack, error) {
	return launchStack(ctx, &stack{binDir: o.binDir, stock: name == "stock", shift: o.timerShift, sink: sinkURL,
		metrics: metrics, devFlags: o.devFlags, workerFlags: o.workerFlags})
}
