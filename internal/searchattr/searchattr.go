// Package searchattr names the custom search attributes a source keeps up to date, so that
// `starter list`, `temporal workflow list` and the Web UI can filter sources on them. It links
// no Temporal server or SDK code: the devserver registers them, the starter checks for them.
package searchattr

import enumspb "go.temporal.io/api/enums/v1"

// The custom search attributes of a source.
const (
	// Sink is the source's own sink URL with any password masked; unset when the source
	// uses the worker's sink.
	Sink = "CronSourceSink"
	// Schedule is the schedule as `starter list` shows it: "every 1s", or
	// `on cron "0 9 * * 1-5" (Europe/Paris)`.
	Schedule = "CronSourceSchedule"
	// Paused is whether the source is paused.
	Paused = "CronSourcePaused"
	// PauseReason is why a paused source is paused (by `pause --reason`, or on failure); unset
	// while it runs. Sources keep it only where it was registered when they started: it came
	// after the others, which Missing lists.
	PauseReason = "CronSourcePauseReason"
)

// Types are the search attributes with their types, as they must be registered.
func Types() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		Sink:        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		Schedule:    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		Paused:      enumspb.INDEXED_VALUE_TYPE_BOOL,
		PauseReason: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// Missing lists, sorted, the search attributes that registered (a namespace's custom search
// attributes) lacks or has with another type, of the first three: PauseReason is optional.
func Missing(registered map[string]enumspb.IndexedValueType) []string {
	var missing []string
	for _, name := range []string{Paused, Schedule, Sink} {
		if registered[name] != Types()[name] {
			missing = append(missing, name)
		}
	}
	return missing
}
