package main

import (
	"context"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fakeClient answers the calls that describe and list make; the rest panics if called.
type fakeClient struct {
	client.Client
	svc *fakeService
	// describe answers DescribeWorkflowExecution.
	describe func(id, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
	// pages answers ListWorkflow, one page per call, keyed by the page token.
	pages map[string]*workflowservice.ListWorkflowExecutionsResponse

	mu        sync.Mutex
	describes []string // the workflow ids described
	queries   []string // the visibility queries
}

func (c *fakeClient) WorkflowService() workflowservice.WorkflowServiceClient { return c.svc }

func (c *fakeClient) DescribeWorkflowExecution(_ context.Context, id, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	c.mu.Lock()
	c.describes = append(c.describes, id)
	c.mu.Unlock()
	return c.describe(id, runID)
}

func (c *fakeClient) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	c.mu.Lock()
	c.queries = append(c.queries, req.GetQuery())
	c.mu.Unlock()
	return c.pages[string(req.GetNextPageToken())], nil
}

// fakeService answers the status query and the history of a run.
type fakeService struct {
	workflowservice.WorkflowServiceClient
	// query answers QueryWorkflow; nil blocks until the call's context ends.
	query      func(req *workflowservice.QueryWorkflowRequest) (*workflowservice.QueryWorkflowResponse, error)
	history    *historypb.History
	historyErr error

	mu              sync.Mutex
	queryRequests   []*workflowservice.QueryWorkflowRequest
	historyRequests []*workflowservice.GetWorkflowExecutionHistoryRequest
}

func (s *fakeService) QueryWorkflow(ctx context.Context, req *workflowservice.QueryWorkflowRequest, _ ...grpc.CallOption) (*workflowservice.QueryWorkflowResponse, error) {
	s.mu.Lock()
	s.queryRequests = append(s.queryRequests, req)
	s.mu.Unlock()
	if s.query == nil {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.query(req)
}

func (s *fakeService) GetWorkflowExecutionHistory(_ context.Context, req *workflowservice.GetWorkflowExecutionHistoryRequest, _ ...grpc.CallOption) (*workflowservice.GetWorkflowExecutionHistoryResponse, error) {
	s.mu.Lock()
	s.historyRequests = append(s.historyRequests, req)
	s.mu.Unlock()
	if s.historyErr != nil {
		return nil, s.historyErr
	}
	return &workflowservice.GetWorkflowExecutionHistoryResponse{History: s.history}, nil
}

// execInfo is a run of source id as the server has it; a zero closedAt leaves it open.
func execInfo(id string, status enumspb.WorkflowExecutionStatus, started, closedAt time.Time) *workflowpb.WorkflowExecutionInfo {
	info := &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: id + "-run"},
		Status:    status, StartTime: timestamppb.New(started), TaskQueue: "hello-cron",
	}
	if !closedAt.IsZero() {
		info.CloseTime = timestamppb.New(closedAt)
	}
	return info
}
