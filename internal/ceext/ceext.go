// Package ceext holds the rule for the names of CloudEvents extension attributes that a user
// may set, through the worker's K_CE_OVERRIDES or a source's --extension: what the CloudEvents
// spec allows (a-z and 0-9), and never an attribute that the source sets itself. It is pure, so
// that workflow code can check a source's configuration with it.
package ceext

// NameError is why CheckName refuses a name.
type NameError string

func (e NameError) Error() string { return string(e) }

// The reasons CheckName gives.
const (
	ErrBadName  NameError = "names may only use a-z and 0-9"
	ErrReserved NameError = "would replace an attribute the source sets"
)

// CheckName reports whether name may be set as an extension: ErrBadName if it is not a valid
// CloudEvents attribute name, ErrReserved if it is an attribute that the source sets.
func CheckName(name string) error {
	if !validName(name) {
		return ErrBadName
	}
	if reserved(name) {
		return ErrReserved
	}
	return nil
}

// reserved reports the attributes that the source sets itself: an extension may never replace them.
func reserved(name string) bool {
	switch name {
	case "specversion", "id", "source", "type", "time", "subject",
		"datacontenttype", "dataschema", "data", "data_base64", "sequence":
		return true
	}
	return false
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
