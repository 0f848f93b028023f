package activities

import (
	"errors"
	"fmt"
	"net/http"

	"go.temporal.io/sdk/temporal"

	"github.com/hello-cron/cronsource/activities/contract"
	sinkpkg "github.com/hello-cron/cronsource/internal/sink"
)

// authorize checks that req may go to its sink and adds the sink's credential. A sink outside
// the allowed origins, and a credential named for a sink outside its own origins, are rejected
// for good: the dead-letter sink gets the tick, without the credential. shown is the sink as
// a rejection names it, without its user and password.
func (a *Activities) authorize(req *http.Request, to target, shown string, attempt int32) error {
	var notAllowed *sinkpkg.NotAllowedError
	if err := a.policy.Check(to.sink); errors.As(err, &notAllowed) {
		return contract.Reject(contract.Rejection{Sink: shown, Reason: fmt.Sprintf("%v of this worker (--allowed-sinks)", err), Attempt: attempt})
	}
	if to.credential == "" {
		return nil
	}
	cred, err := a.credentials.Load(to.credential)
	if err != nil {
		return temporal.NewApplicationError(err.Error(), contract.ErrCredential)
	}
	var foreign *sinkpkg.ForeignOriginError
	if err := cred.Apply(req); errors.As(err, &foreign) {
		return contract.Reject(contract.Rejection{Sink: shown, Reason: err.Error(), Attempt: attempt})
	}
	return nil
}
