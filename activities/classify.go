package activities

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
	sinkpkg "github.com/hello-cron/cronsource/internal/sink"
	"github.com/hello-cron/cronsource/internal/sinkref"
)

// classify turns the outcome of one POST to sink into a receipt or an error for Temporal's retry
// policy. It closes the response body after reading at most a little of it. Only a 2xx answer to
// the event's POST is a delivery; a redirect that the client did not follow is retried.
func classify(resp *http.Response, err error, sink string, attempt int32, now time.Time) (contract.Receipt, error) {
	var redirect *sinkpkg.RedirectError
	if errors.As(err, &redirect) { // its message masks the Location's password, unlike err's
		return contract.Receipt{Sink: sink, StatusCode: redirect.StatusCode, Attempt: attempt},
			temporal.NewApplicationError("post to sink: "+redirect.Error(), contract.ErrRetryable)
	}
	if err != nil {
		return contract.Receipt{}, temporal.NewApplicationError("post to sink: "+scrub(err), contract.ErrUnavailable)
	}
	defer resp.Body.Close()
	body := readBody(resp.Body)
	r := contract.Receipt{Sink: sink, StatusCode: resp.StatusCode, Attempt: attempt}
	code := resp.StatusCode
	switch {
	case resp.Request != nil && resp.Request.Method != http.MethodPost:
		// A client that follows a 301, 302 or 303 sends a GET without the event in the end.
		return r, temporal.NewApplicationError(fmt.Sprintf("sink answered %s to a %s of %s after a redirect, not to the event's POST",
			resp.Status, resp.Request.Method, sinkref.RedactURL(resp.Request.URL)), contract.ErrRetryable)
	case code >= 200 && code < 300:
		return r, nil
	case retryableStatus(code):
		msg := fmt.Sprintf("sink answered %s%s", resp.Status, reason(body))
		return r, temporal.NewApplicationErrorWithOptions(msg, contract.ErrRetryable, temporal.ApplicationErrorOptions{
			NextRetryDelay: retryAfter(resp.Header.Get("Retry-After"), now),
		})
	case code >= 400 && code < 500:
		return r, contract.Reject(contract.Rejection{Sink: sink, StatusCode: code, Data: body, Attempt: attempt,
			Reason: fmt.Sprintf("sink rejected the event: %s%s", resp.Status, reason(body))})
	default:
		// 1xx and 3xx are not answers to a CloudEvent POST: keep the tick and try again.
		var to string
		if location := redirectLocation(resp, nil); location != "" {
			to = " to " + location
		}
		return r, temporal.NewApplicationError(fmt.Sprintf("sink answered %s%s%s", resp.Status, to, reason(body)), contract.ErrRetryable)
	}
}

// retryableStatus: the sink may accept the same event later.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusNotFound, http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return true
	}
	return code >= 500
}

// readBody returns the start of a response body, at most maxRejectionData bytes (nil if it is
// empty), and drains a bounded rest so that the connection can be reused.
func readBody(body io.Reader) []byte {
	buf, _ := io.ReadAll(io.LimitReader(body, contract.MaxRejectionData))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	if len(buf) == 0 {
		return nil
	}
	return buf
}

// maxReason bounds how much of a response body goes into an error message.
const maxReason = 512

// reason formats the start of a response body for an error message: ": " and at most maxReason
// bytes, made valid UTF-8 (a Temporal failure message must be), or nothing for an empty body.
func reason(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	return ": " + strings.ToValidUTF8(string(body[:min(len(body), maxReason)]), "\uFFFD")
}

// redirectLocation returns, password masked, the Location of the redirect that ended the attempt,
// or the URL that answered after the redirects that were followed; "" without a redirect.
func redirectLocation(resp *http.Response, err error) string {
	var redirect *sinkpkg.RedirectError
	switch {
	case errors.As(err, &redirect):
		return redirect.Location
	case resp == nil:
		return ""
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		if u, err := resp.Location(); err == nil {
			return sinkref.RedactURL(u)
		}
	case resp.Request != nil && resp.Request.Response != nil: // the answer to a redirect
		return sinkref.RedactURL(resp.Request.URL)
	}
	return ""
}

// MaxRetryAfter bounds how long a Retry-After header can hold back the next attempt.
const MaxRetryAfter = time.Hour

// retryAfter parses a Retry-After value, in seconds or as an HTTP date. Zero means none, so
// that the retry policy's backoff applies.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(min(secs, int(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// withBackoff gives a retryable error the wait of the source's delivery policy, unless the sink
// asked for its own with Retry-After.
func withBackoff(err error, wait time.Duration) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.NonRetryable() || appErr.NextRetryDelay() > 0 {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(appErr.Message(), appErr.Type(),
		temporal.ApplicationErrorOptions{NextRetryDelay: wait})
}
