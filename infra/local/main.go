// Command local serves every route of template.yaml on this machine, the
// way the deployed stack serves them: each function is its built bootstrap
// running under the Lambda Runtime API, behind an emulation of the HTTP
// API and its Lambda authorizer, over DynamoDB Local. It is what `make run`
// starts, inside infra/dynamodb-local.sh, which provides
// AWS_ENDPOINT_URL_DYNAMODB and local credentials.
//
// On its first start it creates a demo tenant with a token and the plan
// catalog the seed documents' examples name, so those examples work as
// printed. While it serves, .local/run.json names its table and DynamoDB
// Local endpoint, which the admin command reads.
//
// The contract events run as deployed too: the table's stream, polled as
// template.yaml's event source mapping says, feeds ContractEventsFunction,
// which puts the events on a bus of moto_server's (a local EventBridge,
// started here), where a rule forwards them to a queue;
// .local/events.env says where (see package localevents).
//
// Environment: TABLE_NAME (default contracts-local), PORT (default 3000),
// LOG_LEVEL (the functions' level; the template's default otherwise),
// MOTO_SERVER (the moto_server command; moto_server on the PATH
// otherwise), PARAMETER_OVERRIDES (template parameters, as sam deploy's
// --parameter-overrides takes them: "AuthorizerCacheSeconds=0 Key=Value").
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/contracts-service/contracts/infra/local/demo"
	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/infra/local/localevents"
	"github.com/contracts-service/contracts/infra/local/runtimeapi"
	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbstream"
)

const (
	defaultTable = "contracts-local"
	defaultPort  = "3000"
)

// seedRequestFile is the create-contract example of Kukkingu's
// documentation, below the repository root, the one the kukkingu
// package's tests send.
var seedRequestFile = filepath.Join("shared", "kukkingu", "testdata", "seed-create.json")

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" {
		// Seeding a demo tenant into a real account's table would be a
		// mistake: refuse rather than guess.
		return errors.New("AWS_ENDPOINT_URL_DYNAMODB is not set; start it with make run (DynamoDB Local)")
	}
	root, err := gateway.RepoRoot()
	if err != nil {
		return err
	}
	example, err := os.ReadFile(filepath.Join(root, seedRequestFile))
	if err != nil {
		return err
	}
	table := envOr("TABLE_NAME", defaultTable)
	port := envOr("PORT", defaultPort)
	parameters, err := parseParameterOverrides(os.Getenv("PARAMETER_OVERRIDES"))
	if err != nil {
		return err
	}

	client, err := ddb.NewClient(ctx)
	if err != nil {
		return err
	}
	if err := ddb.EnsureTable(ctx, client, table); err != nil {
		return err
	}
	streamARN, err := ddb.EnableStream(ctx, client, table)
	if err != nil {
		return err
	}
	store := ddb.New(client, table)
	token, err := ensureDemo(ctx, store, filepath.Join(root, ".local", "demo-token"), time.Now())
	if err != nil {
		return err
	}

	// The local EventBridge. Its request log would drown the functions'
	// lines: it goes to a file.
	motoLog, err := os.Create(filepath.Join(root, ".local", "moto.log"))
	if err != nil {
		return err
	}
	defer motoLog.Close()
	moto, err := localevents.StartMoto(ctx, os.Getenv("MOTO_SERVER"), motoLog)
	if err != nil {
		return fmt.Errorf("%w (moto_server, Python's moto, is the local EventBridge: make run installs it when missing; see .local/moto.log)", err)
	}
	defer moto.Close()
	region := envOr("AWS_REGION", gateway.DefaultRegion)
	bus, err := localevents.CreateBus(ctx, moto.Endpoint, region, table+"-contract-events")
	if err != nil {
		return err
	}
	eventsFile := filepath.Join(root, ".local", "events.env")
	if err := bus.WriteEnv(eventsFile); err != nil {
		return err
	}
	defer os.Remove(eventsFile)

	fnEnv := map[string]string{
		"TABLE_NAME":                   table,
		contractevents.EnvBusName:      bus.Name,
		contractevents.EnvStreamARN:    streamARN,
		"AWS_ENDPOINT_URL_EVENTBRIDGE": moto.Endpoint,
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "LOG_LEVEL"} {
		if v := os.Getenv(k); v != "" {
			fnEnv[k] = v
		}
	}
	// Whole lines from every function, feed and the gateway onto one
	// stream.
	logs := &runtimeapi.SharedOutput{W: os.Stderr}
	fmt.Fprintln(os.Stderr, "local: building the functions")
	stack, err := gateway.StartStack(ctx, gateway.StackConfig{
		Root:        root,
		Parameters:  parameters,
		BuildDir:    filepath.Join(root, ".local", "build"),
		Env:         fnEnv,
		Output:      func(id string) io.Writer { return prefixWriter{w: logs, prefix: "[" + id + "] "} },
		BuildOutput: os.Stderr,
		Gateway:     gateway.Options{AccessLog: prefixWriter{w: logs, prefix: "[gateway] "}},
	})
	if err != nil {
		return err
	}
	defer stack.Close()

	// The table's stream into ContractEventsFunction, as the template's
	// mapping has it, resuming where the last run stopped.
	mappings, err := localevents.StreamMappings(filepath.Join(root, gateway.TemplateFile))
	if err != nil {
		return err
	}
	var feeds []*localevents.Feed
	// Feeds stop before the functions they invoke.
	stopFeeds := func() {
		for _, f := range feeds {
			f.Close()
		}
		feeds = nil
	}
	defer stopFeeds()
	for _, m := range mappings {
		fn, ok := stack.Functions[m.Function]
		if !ok {
			return fmt.Errorf("local: %s feeds %s, which the stack does not run", m.LogicalID, m.Function)
		}
		feed, err := localevents.StartFeed(localevents.FeedConfig{
			Mapping: m, Function: fn, StreamARN: streamARN, Region: region, Bus: bus,
			Checkpoints: &ddbstream.FileCheckpoints{Path: filepath.Join(root, ".local", "stream-checkpoints.json"), Stream: streamARN},
			Log:         prefixWriter{w: logs, prefix: "[" + m.LogicalID + "] "},
		})
		if err != nil {
			return err
		}
		feeds = append(feeds, feed)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           stack.Gateway,
		ReadHeaderTimeout: 10 * time.Second,
		// API Gateway's own bound on an integration is 30 s.
		WriteTimeout: 35 * time.Second,
		IdleTimeout:  2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	// The admin command, run with no environment, finds the table and
	// the DynamoDB Local of this run here, whatever DDB_PORT it has.
	runFile := filepath.Join(root, ".local", "run.json")
	if err := writeRunFile(runFile, table, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")); err != nil {
		return err
	}
	defer os.Remove(runFile)
	fmt.Print(banner(url, token, stack.Gateway.Routes(), string(example)))
	fmt.Printf("Contract events: bus %s on %s, forwarded to the queue %s (.local/events.env)\n\n", bus.Name, moto.Endpoint, bus.QueueURL)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(os.Stderr, "local: stopping")
	// Long enough for an invocation in flight to reach its timeout.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	stopFeeds()
	return stack.Close()
}

// ensureDemo makes sure the demo tenant, its plan catalog and a working
// token of it (kept in tokenFile, so every start prints the same one)
// exist, and returns the token.
func ensureDemo(ctx context.Context, store *ddb.Store, tokenFile string, now time.Time) (string, error) {
	if err := demo.Ensure(ctx, store, now); err != nil {
		return "", err
	}
	if raw, err := os.ReadFile(tokenFile); err == nil {
		token := strings.TrimSpace(string(raw))
		p, err := auth.Authenticate(ctx, store, token)
		if err == nil && p.Tenant.ID == demo.TenantID {
			return token, nil
		}
		if err != nil && !errors.Is(err, auth.ErrUnknownCredential) {
			return "", err
		}
		// The kept token no longer works (the data was wiped, or it was
		// revoked): a new one replaces it.
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	cred, token := auth.NewToken(demo.TenantID, now)
	if err := store.CreateCredential(ctx, cred); err != nil {
		return "", err
	}
	if err := writeSecret(tokenFile, token+"\n"); err != nil {
		return "", err
	}
	return token, nil
}

// writeRunFile writes what the admin command reads of a running make run
// (infra/admin's runState): its table and DynamoDB Local endpoint.
func writeRunFile(path, table, endpoint string) error {
	data, err := json.Marshal(map[string]string{"table": table, "endpoint": endpoint})
	if err != nil {
		return err
	}
	return writeSecret(path, string(data)+"\n")
}

// writeSecret replaces path with data, readable by its owner only, and
// never leaves a half-written file behind.
func writeSecret(path, data string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".demo-token-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// banner says where the stack listens, its routes, the demo tenant's
// token, and a create to try, sending example.
func banner(url, token string, routes []string, example string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nContracts API at %s\n\nRoutes:\n", url)
	for _, r := range routes {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	fmt.Fprintf(&b, "\nDemo tenant %q (tenant-id %s), token (also in .local/demo-token):\n  %s\n", demo.TenantID, demo.Alias, token)
	fmt.Fprintf(&b, "\nTry:\n  curl -sS -X POST %s/api/v1/contracts \\\n"+
		"    -H 'Authorization: Bearer %s' \\\n"+
		"    -H 'Content-Type: application/json' \\\n"+
		"    -H 'tenant-id: %s' \\\n"+
		"    --data '%s'\n\nCtrl-C stops everything.\n\n",
		url, token, demo.Alias, strings.ReplaceAll(strings.TrimSpace(example), "\n", "\n    "))
	return b.String()
}

// parseParameterOverrides reads template parameters written as sam
// deploy's --parameter-overrides takes them: Key=Value pairs apart by
// spaces, a value in double quotes when it holds one.
func parseParameterOverrides(s string) (map[string]string, error) {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		key, rest, ok := strings.Cut(s, "=")
		if !ok || key == "" || strings.ContainsAny(key, " \t\"") {
			return nil, fmt.Errorf("PARAMETER_OVERRIDES: %q is not Key=Value", s)
		}
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("PARAMETER_OVERRIDES: the value of %s has no closing quote", key)
			}
			value, s = rest[1:1+end], rest[2+end:]
		} else {
			value, s, _ = strings.Cut(rest, " ")
		}
		out[key] = value
	}
	return out, nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// prefixWriter tags each line with where it came from. Its writers hand it
// whole lines.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte(p.prefix), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}
