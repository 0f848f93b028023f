package workflows

// Every change to the commands that CronSource issues is versioned with workflow.GetVersion, so
// that a source recorded by an earlier worker replays as it ran; TestReplay replays every history
// in testdata/ against the code. The change ids, in the order they came, and the histories that
// record each behaviour:
//
//	change id          asked                                   recorded in testdata/
//	(none)             -                                       source-v1-5-ticks, source-v2-*: a regular activity per tick, no versions
//	local-delivery     at a run's start                        source-v3-*: the first attempt as a local activity, the retries as an activity
//	search-attributes  before a run's first upsert             source-v4-metadata, source-v5-metadata, source-v5-controls
//	hardened           at a run's start                        source-v5-*: first-run-id ids, embedded zones, ticks counted for continue-as-new,
//	                                                           source-v5-reset-in-first-run: a reset keeps the ids
//	stop-grace         in each stop handler                    source-v5-controls, source-v5-stop-grace-abandoned: a tick abandoned at the grace's end
//	config-memo        at a run's start                        source-v6-apply: the memo follows every change, the apply signal
//	delivery-policy    at each send of a source with a policy  source-v6-delivery-policy: retries spent, a tick past its max age
//	pause-on-failure   before a pause on failure, and before   source-v6-pause-on-failure: paused after failures, the reason attribute
//	                   upserting the pause reason attribute
//
// Changes that add no command and only act on fields that earlier sources cannot have need no
// version: several --cron and --skip-cron (source-v6-calendar), the recent ticks in the state,
// backfill (an update that no earlier history has; source-v6-backfill).
//
// CronGroup, a workflow type of its own, has had no change yet: group-v1-controls (a join, a
// pause, and a resume whose catch-up tick went as a regular activity) and group-v1 (continued as new, after a worker's
// and a devserver's kill -9) record it. Its members ask the versions above as sources do.
//
// Record a new history for a new change (E2E_RECORD_HISTORY, see e2e/record_test.go) and keep the
// old ones.

// localDeliveryChange versions two changes made together: a tick's first attempt is a local
// activity, and a schedule change during a delivery neither counts the tick in flight as
// skipped nor lets its delivery move the cursor back. Runs recorded before replay without.
const localDeliveryChange = "local-delivery"

// hardenedChange versions what a run decides at its start, for the runs recorded before:
// a new source's instance id is the execution's first run id, which a reset keeps; time zones
// come from the database embedded in the worker (tzdb), not the host's; ContinueAsNewAfter
// counts ticks, not turns of the main loop.
const hardenedChange = "hardened"

// searchAttributesChange versions the upserts of a source's search attributes. They are
// gated twice. Config.SearchAttributes is absent from every input recorded before they
// existed, carried unchanged across continue-as-new, so those sources never upsert: that
// alone keeps all recorded histories replaying. GetVersion, asked just before a run's first
// upsert and never otherwise, covers what the flag cannot: a source started with the flag
// whose pause or update was handled by a worker of the previous version, with no upsert, and
// later replayed by this one. Runs that upsert nothing (the usual run, since the start request
// and continue-as-new carry the values) get no marker.
const searchAttributesChange = "search-attributes"

// stopGraceChange versions a stop's grace, asked in the stop handler: a stop handled before it
// waits for the tick in flight however long it takes.
const stopGraceChange = "stop-grace"

// configMemoChange versions the upserts of the config memo (MemoConfig), asked at a run's start:
// runs recorded before keep the memo their start request gave them, if any.
const configMemoChange = "config-memo"

// deliveryPolicyChange versions the delivery policy (Config.Delivery), asked at each send of a
// source that has one: a source given a policy by a worker of the previous version, which
// ignored it, replays without.
const deliveryPolicyChange = "delivery-policy"

// pauseOnFailureChange versions the pause on failure (Config.PauseOnFailure) and the pause reason
// search attribute (Config.PauseReasonAttribute), asked only where either would act.
const pauseOnFailureChange = "pause-on-failure"
