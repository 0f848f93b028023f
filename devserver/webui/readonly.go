package webui

import (
	"encoding/json"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/labstack/echo/v4"
)

// ui-server's DisableWriteActions hides the write actions in the browser and refuses, with 405,
// every API request but GETs and POSTs to a path holding both "/workflows/" and "/query/". That
// test is on the decoded path, so a workflow id or signal name with "/query/" in it (sent as
// %2F) passes: POST /api/v1/namespaces/default/workflows/x%2Fquery%2Fy starts a workflow. The
// Web UI therefore refuses writes again, behind ui-server's check, on the route that the request
// was actually matched to.

// readOnlyAPI is the API middleware of a Web UI with write actions off.
func readOnlyAPI(echo.Context) runtime.ServeMuxOption {
	return runtime.WithMiddlewares(refuseWrites)
}

// refuseWrites answers 403 to every API call but reads: GETs, and queries of a workflow, which
// the UI sends as POSTs (its stack trace and the source's state) and which change nothing.
func refuseWrites(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if r.Method == http.MethodGet || (r.Method == http.MethodPost && isQueryRoute(r)) {
			next(w, r, params)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"code":    7, // gRPC's PERMISSION_DENIED, as the UI reads errors
			"message": "the Web UI is read-only: start the devserver with --ui-write-actions to allow writes",
		})
	}
}

// queryRoute is the route of WorkflowService.QueryWorkflow under /api/v1, as the gateway
// writes it.
const queryRoute = "/api/v1/namespaces/{namespace=*}/workflows/{execution.workflow_id=*}/query/{query.query_type=*}"

// isQueryRoute reports whether the gateway matched r to QueryWorkflow.
func isQueryRoute(r *http.Request) bool {
	p, ok := runtime.HTTPPattern(r.Context())
	return ok && p.String() == queryRoute
}
