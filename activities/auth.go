package activities

import (
	"errors"
	"fmt"
	"net/http"

	"go.temporal.io/sdk/temporal"

	sinkpkg "github.com/hello-cron/cronsource/internal/sink"
)

// ErrCredential: the tick names a sink credential that this worker does not have or cannot
// read. It is retried: another worker, or this one once the credential is mounted, can send it.
const ErrCredential = "SinkCredentialUnavailable"

// authorize checks that req may go to its sink and adds the sink's credential. A sink outside
// the allowed origins, and a credential named for a sink outside its own origins, are rejected
// for good: the dead-letter sink gets the tick, without the credential.
func (a *Activities) authorize(req *http.Request, to target, attempt int32) error {
	shown := sinkpkg.WithoutUserinfo(to.sink)
	var notAllowed *sinkpkg.NotAllowedError
	if err := a.policy.Check(to.sink); errors.As(err, &notAllowed) {
		return reject(Rejection{Sink: shown, Reason: fmt.Sprintf("%v of this worker (--allowed-sinks)", err), Attempt: attempt})
	}
	if to.credential == "" {
		return nil
	}
	cred, err := a.credentials.Load(to.credential)
	if err != nil {
		return temporal.NewApplicationError(err.Error(), ErrCredential)
	}
	var foreign *sinkpkg.ForeignOriginError
	if err := cred.Apply(req); errors.As(err, &foreign) {
		return reject(Rejection{Sink: shown, Reason: err.Error(), Attempt: attempt})
	}
	return nil
}
