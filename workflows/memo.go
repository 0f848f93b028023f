package workflows

import (
	"bytes"
	"fmt"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// recordConfig keeps the source's memo (MemoConfig) equal to its configuration, in runs with
// configMemoChange: at a run's start, which fixes the memo of a source started without one, and
// after each change. It upserts only when the memo differs, so the usual run adds no event. A
// group's member has none: the workflow's memo is the group's.
func (s *source) recordConfig(ctx workflow.Context) error {
	if !s.recordsConfig || s.group != nil {
		return nil
	}
	want, err := converter.GetDefaultDataConverter().ToPayload(Record(s.cfg))
	if err != nil {
		return fmt.Errorf("encode the config memo: %w", err)
	}
	if have := workflow.GetInfo(ctx).Memo.GetFields()[MemoConfig]; have != nil && bytes.Equal(have.GetData(), want.GetData()) {
		return nil
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{MemoConfig: Record(s.cfg)}); err != nil {
		return fmt.Errorf("upsert the config memo: %w", err)
	}
	return nil
}
