package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/metrics"
	"github.com/contracts-service/contracts/shared/metrics/metricstest"
)

// TestRequestLineIsItsMetricsRecord: every request writes one line of its
// own, which is also its EMF record: the route by its key (never the
// path, whose ids it leaves out), the X-Ray trace id, the tenant as a
// property only; the metrics Requests and Latency by Function, Dialect
// and StatusClass, and Replays, VersionConflictRetries and Unavailable by
// Function. It is written even when the log keeps only warnings, since
// Lambda's own level filter drops what is below its level.
func TestRequestLineIsItsMetricsRecord(t *testing.T) {
	const xrayHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	tests := []struct {
		name    string
		level   slog.Level
		handler httpapi.HandlerFunc
		status  int
		want    map[string]any
	}{
		{"served", slog.LevelInfo, func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			return httpapi.NoContent(), nil
		}, 204, map[string]any{"level": "INFO", "StatusClass": "2xx", "Replays": 0.0, "VersionConflictRetries": 0.0, "Unavailable": 0.0}},
		{"retried after version conflicts", slog.LevelInfo, func(ctx context.Context, _ *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			metrics.VersionConflictRetry(ctx)
			metrics.VersionConflictRetry(ctx)
			return httpapi.NoContent(), nil
		}, 204, map[string]any{"VersionConflictRetries": 2.0}},
		{"replayed", slog.LevelInfo, func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			resp := httpapi.NoContent()
			resp.Headers = map[string]string{idempotency.HeaderReplayed: "true"}
			return resp, nil
		}, 204, map[string]any{"Replays": 1.0}},
		{"unavailable", slog.LevelInfo, func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{}, contract.Errorf(contract.KindUnavailable, "the table is throttled")
		}, 503, map[string]any{"StatusClass": "5xx", "Unavailable": 1.0}},
		{"logging warnings only", slog.LevelWarn, func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			return httpapi.NoContent(), nil
		}, 204, map[string]any{"level": "WARN", "StatusClass": "2xx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("_X_AMZN_TRACE_ID", xrayHeader)
			var buf bytes.Buffer
			rt := httpapi.NewRouter(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tt.level})))
			rt.HandleVia(contract.APIKukkingu, "PATCH /api/v1/contracts/{contractId}", tt.handler)
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "aws-req-9"})
			resp := serveCtx(t, ctx, rt, routed("PATCH /api/v1/contracts/{contractId}", "/api/v1/contracts/ctr_hidden1234",
				map[string]string{"contractId": "ctr_hidden1234"}))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if strings.Contains(buf.String(), "ctr_hidden1234") {
				t.Errorf("the log holds the path's id:\n%s", &buf)
			}
			records := metricstest.WithMsg(metricstest.Records(t, &buf), "request")
			if len(records) != 1 {
				t.Fatalf("%d request records, want 1:\n%s", len(records), &buf)
			}
			r := records[0]
			want := map[string]any{
				"route": "PATCH /api/v1/contracts/{contractId}", "xrayTraceId": "1-5759e988-bd862e3fe1be46a994272793",
				"tenant": "t1", "requestId": "req-1", "awsRequestId": "aws-req-9", "status": float64(tt.status),
				"Dialect": "Kukkingu", "Requests": 1.0,
			}
			for k, v := range tt.want {
				want[k] = v
			}
			for k, v := range want {
				if r[k] != v {
					t.Errorf("%s = %v, want %v", k, r[k], v)
				}
			}
			if _, ok := r["Latency"].(float64); !ok {
				t.Errorf("Latency = %v", r["Latency"])
			}
			for metric, dims := range map[string][][]string{
				metrics.Requests: {{"Function", "Dialect", "StatusClass"}}, metrics.Latency: {{"Function", "Dialect", "StatusClass"}},
				metrics.Replays: {{"Function"}}, metrics.VersionConflictRetries: {{"Function"}}, metrics.Unavailable: {{"Function"}},
			} {
				if got := metricstest.Dimensions(r, metric); !reflect.DeepEqual(got, dims) {
					t.Errorf("%s by %v, want %v", metric, got, dims)
				}
			}
		})
	}
}

// TestRefusalLineSaysWhichFieldsAndWhy: a refused request's line names
// the problem's code and each failing field with what is wrong with it;
// a value a message quotes (a taken e-mail address, say) is left out.
func TestRefusalLineSaysWhichFieldsAndWhy(t *testing.T) {
	const personal = "maria.silva@example.com"
	rt, buf := newRouter()
	rt.HandleVia(contract.APIAira, "POST /v1/customers", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, contract.Invalid(
			contract.FieldError{Field: "email", Message: fmt.Sprintf("%q is already taken", personal)},
			contract.FieldError{Field: "taxId", Message: "must be a valid CPF or CNPJ"},
		)
	})
	resp := serve(t, rt, event("POST", "/v1/customers"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if strings.Contains(buf.String(), personal) {
		t.Fatalf("the log holds the value:\n%s", buf)
	}
	r := requestLine(t, buf, http.StatusBadRequest)
	if r["code"] == "" || r["code"] == nil || r["problem"] == nil {
		t.Errorf("code %v, problem %v", r["code"], r["problem"])
	}
	fields, _ := r["fields"].([]any)
	var got []string
	for _, f := range fields {
		f := f.(map[string]any)
		got = append(got, fmt.Sprint(f["field"], ": ", f["message"]))
	}
	want := []string{`email: "…" is already taken`, "taxId: must be a valid CPF or CNPJ"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
	if r["StatusClass"] != "4xx" || r["Dialect"] != "Aira" {
		t.Errorf("StatusClass %v, Dialect %v", r["StatusClass"], r["Dialect"])
	}
}
