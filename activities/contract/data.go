package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// MaxDataBytes bounds a source's payload: it travels in every tick's activity input and history.
const MaxDataBytes = 64 << 10

// CheckData reports whether data, of contentType (empty: application/json), can be a tick's
// payload: at most MaxDataBytes, a content type that parses as a media type, and valid JSON when
// that type is JSON (application/json or any +json type). nil data is the default payload and
// always valid. Errors are short reasons for the caller to prefix with the field at fault.
func CheckData(data []byte, contentType string) error {
	if data == nil {
		return nil
	}
	if len(data) > MaxDataBytes {
		return fmt.Errorf("%d bytes, more than %d", len(data), MaxDataBytes)
	}
	if contentType == "" {
		contentType = "application/json"
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if isJSON(mediaType) && !json.Valid(data) {
		return errors.New("not valid JSON")
	}
	return nil
}

// isJSON reports whether a parsed (so lowercase) media type says its data is JSON.
func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}
