package workflows

import "time"

// QueryStatus is the name of the query that returns a source's Status.
const QueryStatus = "status"

// Status is a source's configuration and progress, as `starter describe` shows it.
type Status struct {
	WorkflowID   string    `json:"workflowId"`
	Interval     string    `json:"interval"`
	Type         string    `json:"type"`
	Source       string    `json:"source"`
	Sink         string    `json:"sink"` // empty: the worker's sink
	ContentMode  string    `json:"contentMode"`
	Anchor       time.Time `json:"anchor"`
	Sequence     int64     `json:"sequence"` // the last tick delivered or rejected
	NextFireTime time.Time `json:"nextFireTime"`
	Delivered    int64     `json:"delivered"`
	Rejected     int64     `json:"rejected"`
}

func (s *source) status() (Status, error) {
	return Status{
		WorkflowID:   s.workflowID,
		Interval:     s.cfg.Interval.String(),
		Type:         s.cfg.Type,
		Source:       s.cfg.Source,
		Sink:         s.cfg.Sink,
		ContentMode:  string(s.cfg.ContentMode),
		Anchor:       s.state.Anchor,
		Sequence:     s.state.Sequence,
		NextFireTime: s.scheduled(s.state.Sequence + 1),
		Delivered:    s.state.Delivered,
		Rejected:     s.state.Rejected,
	}, nil
}
