package sink

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hello-cron/cronsource/internal/ceext"
)

// ParseOverrides parses K_CE_OVERRIDES, Knative's {"extensions": {"name": "value"}}, and returns
// the extensions. An empty string means none. Names must be valid CloudEvents attribute names
// (a-z and 0-9) and must not replace an attribute that the source sets: ceext.CheckName.
func ParseOverrides(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var o struct {
		Extensions map[string]string `json:"extensions"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf(`must be JSON like {"extensions":{"name":"value"}}: %w`, err)
	}
	for name := range o.Extensions {
		switch err := ceext.CheckName(name); {
		case errors.Is(err, ceext.ErrBadName):
			return nil, fmt.Errorf("extension %q: %w", name, err)
		case err != nil:
			return nil, fmt.Errorf("extension %q %w", name, err)
		}
	}
	return o.Extensions, nil
}
