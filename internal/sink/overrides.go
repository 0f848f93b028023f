package sink

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// reserved reports the attributes that the source sets itself: an override may never replace them.
func reserved(name string) bool {
	switch name {
	case "specversion", "id", "source", "type", "time", "subject",
		"datacontenttype", "dataschema", "data", "data_base64", "sequence":
		return true
	}
	return false
}

// ParseOverrides parses K_CE_OVERRIDES, Knative's {"extensions": {"name": "value"}}, and returns
// the extensions. An empty string means none. Names must be valid CloudEvents attribute names
// (a-z and 0-9) and must not replace an attribute that the source sets.
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
		if !validName(name) {
			return nil, fmt.Errorf("extension %q: names may only use a-z and 0-9", name)
		}
		if reserved(name) {
			return nil, fmt.Errorf("extension %q would replace an attribute the source sets", name)
		}
	}
	return o.Extensions, nil
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
