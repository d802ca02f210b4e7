// Command admin manages tenants, credentials and plan catalogs in the
// contracts table:
//
//	go run ./infra/admin tenant create --id ID [--alias VALUE ...]
//	go run ./infra/admin tenant reserve --id ID
//	go run ./infra/admin token create --tenant ID
//	go run ./infra/admin token revoke --id TOKEN_ID
//	go run ./infra/admin plan put --tenant ID --file plans.json
//	go run ./infra/admin listings file --tenant ID
//
// It works on the table named by TABLE_NAME with the usual AWS
// configuration (a real account, or DynamoDB Local through
// AWS_ENDPOINT_URL_DYNAMODB). With TABLE_NAME unset it targets the local
// stack of make run: the table and DynamoDB Local endpoint make run
// writes to .local/run.json while it runs (so another DDB_PORT is found),
// or table contracts-local at 127.0.0.1:8000; AWS_ENDPOINT_URL_DYNAMODB,
// when set, still wins. A DynamoDB that cannot be reached is said to be
// so, with its endpoint, at once. Commands that mint a token print it as
// the last line of their output, alone, so scripts can take it with
// tail -n 1. Bad input exits with status 2 and a message (and the usage
// text when the command line itself is wrong); a failure of DynamoDB with
// status 1.
//
// A tenant's id and aliases are its names, unique across all tenants: a
// header naming a tenant must name one only. tenant create reserves them
// in the transaction that creates the tenant and refuses (status 2) a name
// that already names a tenant, saying which of the names given is taken
// and not whose it is. tenant reserve does the same for a tenant created
// before names were reserved.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/strictjson"
)

// Local defaults: the same DynamoDB Local endpoint and table make run uses.
const (
	localTable    = "contracts-local"
	localEndpoint = "http://127.0.0.1:8000"
)

const usage = `usage:
  admin tenant create --id ID [--alias VALUE ...]
  admin tenant reserve --id ID
  admin token create --tenant ID
  admin token revoke --id TOKEN_ID
  admin plan put --tenant ID --file plans.json
  admin listings file --tenant ID`

// Store is what the commands need from storage; *ddb.Store implements it.
type Store interface {
	auth.Store
	ReserveTenantNames(ctx context.Context, t auth.Tenant) error
	PutPlans(ctx context.Context, tenantID string, plans []contract.Plan) error
	FileListings(ctx context.Context, tenantID string) (int, error)
}

// usageError is bad input: exit status 2. usage marks a wrong command
// line (an unknown command or flag, a flag missing or malformed), after
// which the usage text is shown; input refused for what it names (a taken
// name, a tenant that does not exist, a bad plans file) shows none.
type usageError struct {
	msg   string
	usage bool
}

func (e *usageError) Error() string { return e.msg }

func badUsage(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), usage: true}
}

func refused(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func main() {
	where := ""
	if os.Getenv(ddb.TableNameEnv) == "" {
		where = setLocalDefaults(runFile())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, func() (Store, error) { return openStore(ctx, where) }))
}

// openStore opens the table named by TABLE_NAME with the SDK's whole
// default configuration chain, as the AWS CLI resolves it (profiles, SSO,
// environment): the command runs on an operator's machine, not in Lambda.
// An endpoint set in AWS_ENDPOINT_URL_DYNAMODB is tried first, so that a
// DynamoDB Local that is not running is said to be so at once, rather
// than after the SDK's retries as a busy service; where says where the
// endpoint came from when it is make run's ("" when the environment set
// it).
func openStore(ctx context.Context, where string) (*ddb.Store, error) {
	table := os.Getenv(ddb.TableNameEnv)
	if table == "" {
		return nil, errors.New(ddb.TableNameEnv + " is not set")
	}
	if endpoint := os.Getenv(endpointEnv); endpoint != "" {
		if err := reachable(ctx, endpoint); err != nil {
			if where == "" {
				return nil, fmt.Errorf("DynamoDB is not reachable at %s, the endpoint %s names (%w)", endpoint, endpointEnv, err)
			}
			return nil, fmt.Errorf("DynamoDB Local is not reachable at %s, %s (%w); start make run, or set %s to where DynamoDB Local listens", endpoint, where, err, endpointEnv)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return ddb.New(ddb.NewClientFromConfig(cfg), table), nil
}

// endpointEnv is the SDK's own endpoint override for DynamoDB.
const endpointEnv = "AWS_ENDPOINT_URL_DYNAMODB"

// reachable dials endpoint's host and port once.
func reachable(ctx context.Context, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", endpoint)
	}
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	host := net.JoinHostPort(u.Hostname(), port)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", host)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			return op.Err
		}
		return err
	}
	return conn.Close()
}

// unreachable rewords an error of a DynamoDB that could not be reached at
// all, which the store reports as a busy service once the SDK's retries
// end: no connection is not "busy".
func unreachable(err error) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		return err
	}
	return fmt.Errorf("DynamoDB is not reachable at %s: %w", op.Addr, op.Err)
}

// runState is what make run writes to .local/run.json while it serves:
// the table and the DynamoDB Local endpoint it uses.
type runState struct {
	Table    string `json:"table"`
	Endpoint string `json:"endpoint"`
}

// runFile returns the path of make run's .local/run.json: under the
// module's root, found from the working directory up.
func runFile() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".local", "run.json")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// setLocalDefaults points the command at make run's DynamoDB Local: the
// endpoint and table make run wrote to path if it is running, otherwise
// its defaults; a variable already set wins. It returns where the
// endpoint came from, for the message of an unreachable one, or "" when
// the environment set it.
func setLocalDefaults(path string) string {
	state := runState{Table: localTable, Endpoint: localEndpoint}
	where := "where make run starts it by default"
	if data, err := os.ReadFile(path); err == nil && json.Unmarshal(data, &state) == nil && state.Endpoint != "" {
		where = "the endpoint make run wrote to " + path + " when it started"
	}
	if os.Getenv(endpointEnv) != "" {
		where = ""
	}
	defaults := map[string]string{
		ddb.TableNameEnv:        cmp.Or(state.Table, localTable),
		endpointEnv:             state.Endpoint,
		"AWS_REGION":            "us-east-1",
		"AWS_ACCESS_KEY_ID":     "local",
		"AWS_SECRET_ACCESS_KEY": "local",
	}
	for k, v := range defaults {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	return where
}

// run executes one command and returns the process exit status. The store
// is opened only once the arguments are known to be good.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, open func() (Store, error)) int {
	err := dispatch(ctx, args, stdout, open)
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue) && ue.usage:
		fmt.Fprintf(stderr, "admin: %s\n%s\n", ue.msg, usage)
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "admin: %s\n", ue.msg)
		return 2
	default:
		fmt.Fprintf(stderr, "admin: %v\n", unreachable(err))
		return 1
	}
}

// commands are the subcommands by their two words, each run with the
// arguments after them.
var commands = map[string]func(ctx context.Context, args []string, stdout io.Writer, open func() (Store, error)) error{
	"tenant create":  tenantCreate,
	"tenant reserve": tenantReserve,
	"token create":   tokenCreate,
	"token revoke":   tokenRevoke,
	"plan put":       planPut,
	"listings file":  listingsFile,
}

func dispatch(ctx context.Context, args []string, stdout io.Writer, open func() (Store, error)) error {
	if len(args) < 2 {
		return badUsage("a command is required")
	}
	cmd, rest := args[0]+" "+args[1], args[2:]
	run, ok := commands[cmd]
	if !ok {
		return badUsage("unknown command %q", cmd)
	}
	return run(ctx, rest, stdout, open)
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parse parses flags and refuses positional leftovers.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return badUsage("%v", err)
	}
	if fs.NArg() > 0 {
		return badUsage("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func tenantCreate(ctx context.Context, args []string, stdout io.Writer, open func() (Store, error)) error {
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	id := fs.String("id", "", "tenant id")
	var aliases multiFlag
	fs.Var(&aliases, "alias", "an identifier clients send for this tenant (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	now := time.Now().UTC()
	tenant := auth.Tenant{ID: *id, Aliases: aliases, CreatedAt: now}
	if err := tenant.Validate(); err != nil {
		return badUsage("--%v", err)
	}
	store, err := open()
	if err != nil {
		return err
	}
	if err := store.CreateTenant(ctx, tenant); err != nil {
		return takenUsage(err, tenant, "nothing was created")
	}
	fmt.Fprintf(stdout, "created tenant %s\n", *id)
	return mintToken(ctx, store, *id, now, stdout)
}

// tenantReserve reserves the names of a tenant created before names were
// reserved, so that no later tenant can take them.
func tenantReserve(ctx context.Context, args []string, stdout io.Writer, open func() (Store, error)) error {
	fs := flag.NewFlagSet("tenant reserve", flag.ContinueOnError)
	id := fs.String("id", "", "tenant id")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !auth.ValidID(*id) {
		return badUsage("--id is required")
	}
	store, err := open()
	if err != nil {
		return err
	}
	tenant, err := store.GetTenant(ctx, *id)
	if errors.Is(err, auth.ErrNotFound) {
		return refused("tenant %q does not exist", *id)
	}
	if err != nil {
		return err
	}
	if err := store.ReserveTenantNames(ctx, *tenant); err != nil {
		if errors.Is(err, auth.ErrNotFound) {
			return refused("tenant %q does not exist", *id)
		}
		return takenUsage(err, *tenant, "nothing was reserved")
	}
	fmt.Fprintf(stdout, "reserved the names of tenant %s: %s\n", *id, strings.Join(tenant.NameList(), ", "))
	return nil
}

// takenUsage turns a store's refusal of taken names into bad input that
// says which of the tenant's names are taken, as the flags gave them, and
// never which tenant holds them; any other error is returned as it is.
func takenUsage(err error, t auth.Tenant, outcome string) error {
	var taken *auth.TakenError
	if !errors.As(err, &taken) {
		return err
	}
	var which []string
	for _, name := range taken.Names {
		option := "--alias"
		if name == t.ID {
			option = "--id"
		}
		which = append(which, fmt.Sprintf("%s %q", option, name))
	}
	verb := "names"
	if len(which) > 1 {
		verb = "name"
	}
	return refused("%s already %s a tenant (a tenant's id and aliases are unique across all tenants); %s", strings.Join(which, ", "), verb, outcome)
}

func tokenCreate(ctx context.Context, args []string, stdout io.Writer, open func() (Store, error)) error {
	store, tenant, err := openTenant(ctx, "token create", args, open)
	if err != nil {
		return err
	}
	return mintToken(ctx, store, tenant, time.Now().UTC(), stdout)
}

// openTenant reads the command line of a command that takes --tenant
// alone, and opens the store once that tenant is found in it.
func openTenant(ctx context.Context, command string, args []string, open func() (Store, error)) (Store, string, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	tenant := fs.String("tenant", "", "tenant id")
	if err := parse(fs, args); err != nil {
		return nil, "", err
	}
	if !auth.ValidID(*tenant) {
		return nil, "", badUsage("--tenant is required")
	}
	store, err := open()
	if err != nil {
		return nil, "", err
	}
	return store, *tenant, requireTenant(ctx, store, *tenant)
}

// requireTenant refuses, as bad input, a tenant that does not exist.
func requireTenant(ctx context.Context, store Store, id string) error {
	_, err := store.GetTenant(ctx, id)
	if errors.Is(err, auth.ErrNotFound) {
		return refused("tenant %q does not exist", id)
	}
	return err
}

// mintToken stores a new credential and prints its id, then the token
// alone on the last line.
func mintToken(ctx context.Context, store Store, tenant string, now time.Time, stdout io.Writer) error {
	cred, token := auth.NewToken(tenant, now)
	if err := store.CreateCredential(ctx, cred); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created token id %s for tenant %s (shown once; only its hash is stored)\n%s\n", cred.ID, tenant, token)
	return nil
}

func tokenRevoke(ctx context.Context, args []string, stdout io.Writer, open func() (Store, error)) error {
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	id := fs.String("id", "", "token id")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		return badUsage("--id is required")
	}
	store, err := open()
	if err != nil {
		return err
	}
	if err := store.RevokeCredential(ctx, *id, time.Now().UTC()); err != nil {
		if errors.Is(err, auth.ErrNotFound) {
			return refused("token id %q does not exist", *id)
		}
		return err
	}
	fmt.Fprintf(stdout, "revoked token id %s\n", *id)
	return nil
}

// maxPlans bounds one catalog file: the plans are written in one
// transaction, all or nothing.
const maxPlans = 100

func planPut(ctx context.Context, args []string, stdout io.Writer, open func() (Store, error)) error {
	fs := flag.NewFlagSet("plan put", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "tenant id")
	file := fs.String("file", "", "JSON file: an array of plans")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !auth.ValidID(*tenant) || *file == "" {
		return badUsage("--tenant and --file are required")
	}
	plans, err := readPlans(*file)
	if err != nil {
		return err
	}
	store, err := open()
	if err != nil {
		return err
	}
	if err := requireTenant(ctx, store, *tenant); err != nil {
		return err
	}
	if err := store.PutPlans(ctx, *tenant, plans); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "put %d plans into the catalog of tenant %s\n", len(plans), *tenant)
	return nil
}

// listingsFile files the tenant's fabric contracts written before the
// listings existed, which no list shows until then (ddb.Store.FileListings).
func listingsFile(ctx context.Context, args []string, stdout io.Writer, open func() (Store, error)) error {
	store, tenant, err := openTenant(ctx, "listings file", args, open)
	if err != nil {
		return err
	}
	filed, err := store.FileListings(ctx, tenant)
	fmt.Fprintf(stdout, "filed %d contracts of tenant %s in their listings\n", filed, tenant)
	return err
}

// readPlans reads and validates a catalog file, reporting every bad entry
// by its index and field.
func readPlans(path string) ([]contract.Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, refused("read %s: %v", path, err)
	}
	var plans []contract.Plan
	err = strictjson.DecodeValid(data, &plans, func() error { return contract.ValidateCatalog(plans) })
	var e *contract.Error
	switch {
	case errors.As(err, &e) && len(e.Fields) > 0:
		problems := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			problems[i] = f.Field + " " + f.Message
		}
		return nil, refused("%s: %s", path, strings.Join(problems, "; "))
	case err != nil:
		return nil, refused("%s: not a JSON array of plans: %v", path, err)
	case len(plans) == 0 || len(plans) > maxPlans:
		return nil, refused("%s: must hold 1 to %d plans, has %d", path, maxPlans, len(plans))
	}
	return plans, nil
}
