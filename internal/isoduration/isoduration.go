// Package isoduration parses the ISO-8601 durations that Knative's DeliverySpec uses, such as
// PT0.5S, PT2M or P1DT12H: weeks, days, hours, minutes and seconds, each day 24 hours. Years and
// months have no fixed length, so they are refused.
package isoduration

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Parse parses s, an ISO-8601 duration.
func Parse(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" || rest == "T" || strings.HasSuffix(rest, "T") {
		return 0, fmt.Errorf("must be an ISO-8601 duration such as PT1S, PT0.5S or P1DT2H")
	}
	date, clock, hasClock := strings.Cut(rest, "T")
	var total float64
	for _, part := range []struct {
		text  string
		units string
	}{{date, "WD"}, {clock, "HMS"}} {
		if hasClock && part.units == "HMS" && part.text == "" {
			return 0, fmt.Errorf("must be an ISO-8601 duration: nothing after T")
		}
		n, err := sum(part.text, part.units)
		if err != nil {
			return 0, err
		}
		total += n
	}
	if total > float64(math.MaxInt64) {
		return 0, fmt.Errorf("too long: at most %v", time.Duration(math.MaxInt64))
	}
	return time.Duration(total), nil
}

// sum adds the number-and-unit pairs of text, whose units must appear in the order of units, each
// at most once.
func sum(text, units string) (float64, error) {
	var total float64
	for text != "" {
		i := strings.IndexFunc(text, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != ',' })
		if i <= 0 {
			return 0, fmt.Errorf("must be an ISO-8601 duration: %q is not a number and a unit", text)
		}
		unit := text[i]
		at := strings.IndexByte(units, unit)
		if at < 0 {
			return 0, fmt.Errorf("must be an ISO-8601 duration with units W, D, H, M and S (years and months have no fixed length): unit %q", unit)
		}
		n, err := strconv.ParseFloat(strings.Replace(text[:i], ",", ".", 1), 64)
		if err != nil || math.IsInf(n, 0) {
			return 0, fmt.Errorf("must be an ISO-8601 duration: %q is not a number", text[:i])
		}
		total += n * float64(unitLength(unit))
		units, text = units[at+1:], text[i+1:]
	}
	return total, nil
}

func unitLength(unit byte) time.Duration {
	switch unit {
	case 'W':
		return 7 * 24 * time.Hour
	case 'D':
		return 24 * time.Hour
	case 'H':
		return time.Hour
	case 'M':
		return time.Minute
	}
	return time.Second
}
