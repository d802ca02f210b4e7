package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

var tokenLine = regexp.MustCompile(`^ctk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$`)

// admin runs one command against store and returns its status and output.
func admin(t *testing.T, store Store, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func() (Store, error) { return store, nil })
	return code, stdout.String(), stderr.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestTenantAndTokenLifecycle(t *testing.T) {
	store := ddbtest.NewStore(t)
	ctx := context.Background()

	code, out, errOut := admin(t, store, "tenant", "create", "--id", "acme", "--alias", "tnt_1", "--alias", "acc-2")
	if code != 0 || !tokenLine.MatchString(lastLine(out)) {
		t.Fatalf("tenant create: %d %q %q", code, out, errOut)
	}
	first := lastLine(out)
	p, err := auth.Authenticate(ctx, store, first)
	if err != nil || p.Tenant.ID != "acme" || !p.Tenant.Names("acc-2") {
		t.Fatalf("the printed token does not authenticate: %+v %v", p, err)
	}

	code, out, _ = admin(t, store, "token", "create", "--tenant", "acme")
	second := lastLine(out)
	if code != 0 || !tokenLine.MatchString(second) || second == first {
		t.Fatalf("token create: %d %q", code, out)
	}
	p2, err := auth.Authenticate(ctx, store, second)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, _ = admin(t, store, "token", "revoke", "--id", p2.CredentialID); code != 0 {
		t.Fatalf("revoke: %d %q", code, out)
	}
	if _, err := auth.Authenticate(ctx, store, second); err == nil {
		t.Fatal("a revoked token still authenticates")
	}
	if _, err := auth.Authenticate(ctx, store, first); err != nil {
		t.Fatalf("revoking one token revoked another: %v", err)
	}
	for _, printed := range []string{out, errOut} {
		if strings.Contains(printed, auth.Hash(first)) {
			t.Fatal("a token hash was printed")
		}
	}
}

func TestPlanPut(t *testing.T) {
	store := ddbtest.NewStore(t)
	if code, _, errOut := admin(t, store, "tenant", "create", "--id", "acme"); code != 0 {
		t.Fatal(errOut)
	}
	file := filepath.Join(t.TempDir(), "plans.json")
	os.WriteFile(file, []byte(`[{"id":"16ad814a-dd1b-41c8-9b4b-4e8551170fee","name":"Pro","currencies":["USD","CNY"]}]`), 0o600)
	code, out, errOut := admin(t, store, "plan", "put", "--tenant", "acme", "--file", file)
	if code != 0 {
		t.Fatalf("plan put: %d %q %q", code, out, errOut)
	}
	p, err := store.GetPlan(context.Background(), "acme", "16ad814a-dd1b-41c8-9b4b-4e8551170fee")
	if err != nil || p.Name != "Pro" || p.BillingCycleType != "monthly" {
		t.Fatalf("plan: %+v %v", p, err)
	}
}

// listings file files what the store's FileListings files (its own test
// holds what that is) and says how many; run again, none.
func TestListingsFile(t *testing.T) {
	store := ddbtest.NewStore(t)
	if code, _, errOut := admin(t, store, "tenant", "create", "--id", "acme"); code != 0 {
		t.Fatal(errOut)
	}
	for run := range 2 {
		code, out, errOut := admin(t, store, "listings", "file", "--tenant", "acme")
		if code != 0 || out != "filed 0 contracts of tenant acme in their listings\n" {
			t.Fatalf("run %d: %d %q %q", run, code, out, errOut)
		}
	}
}

func TestBadInputExitsTwo(t *testing.T) {
	store := ddbtest.NewStore(t)
	if code, _, errOut := admin(t, store, "tenant", "create", "--id", "acme"); code != 0 {
		t.Fatal(errOut)
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	tooMany := []string{"tenant", "create", "--id", "x"}
	for i := range auth.MaxAliases + 1 {
		tooMany = append(tooMany, "--alias", fmt.Sprintf("alias-%d", i))
	}
	// usage: the command line itself is wrong, so the usage text follows
	// the message; input refused for what it names gets the message alone.
	tests := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{"no command", nil, "a command is required", true},
		{"unknown command", []string{"tenant", "delete"}, "unknown command", true},
		{"missing id", []string{"tenant", "create"}, "--id", true},
		{"bad id", []string{"tenant", "create", "--id", "a b"}, "--id", true},
		{"existing tenant", []string{"tenant", "create", "--id", "acme"}, `--id "acme" already names a tenant`, false},
		{"duplicate alias", []string{"tenant", "create", "--id", "x", "--alias", "x"}, "twice", true},
		{"too many aliases", tooMany, "at most 10 aliases", true},
		{"reserve without id", []string{"tenant", "reserve"}, "--id is required", true},
		{"reserve unknown tenant", []string{"tenant", "reserve", "--id", "nobody"}, "does not exist", false},
		{"unknown flag", []string{"token", "create", "--tenant", "acme", "--admin"}, "flag provided but not defined", true},
		{"token for unknown tenant", []string{"token", "create", "--tenant", "nobody"}, "does not exist", false},
		{"revoke unknown", []string{"token", "revoke", "--id", "0123456789abcdef0123456789abcdef"}, "does not exist", false},
		{"plan file missing", []string{"plan", "put", "--tenant", "acme", "--file", filepath.Join(dir, "none.json")}, "read", false},
		{"plan file not JSON", []string{"plan", "put", "--tenant", "acme", "--file", write("a.json", "{")}, "not a JSON array", false},
		{"plan without name", []string{"plan", "put", "--tenant", "acme", "--file", write("b.json", `[{"id":"p","currencies":["USD"]}]`)}, "[0].name", false},
		{"plan unknown field", []string{"plan", "put", "--tenant", "acme", "--file", write("c.json", `[{"id":"p","name":"n","currencies":["USD"],"price":1}]`)}, "[0].price is not a known field", false},
		{"plan given twice", []string{"plan", "put", "--tenant", "acme", "--file", write("e.json", `[{"id":"p","name":"n","currencies":["USD"]},{"id":"p","name":"m","currencies":["EUR"]}]`)}, "[1].id names the same plan as [0]", false},
		{"plan field of another case", []string{"plan", "put", "--tenant", "acme", "--file", write("f.json", `[{"id":"p","Name":"n","currencies":["USD"]}]`)}, "[0].Name", false},
		{"plan for unknown tenant", []string{"plan", "put", "--tenant", "nobody", "--file", write("d.json", `[{"id":"p","name":"n","currencies":["USD"]}]`)}, "does not exist", false},
		{"listings without tenant", []string{"listings", "file"}, "--tenant is required", true},
		{"listings of unknown tenant", []string{"listings", "file", "--tenant", "nobody"}, "does not exist", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := admin(t, store, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("got %d %q %q, want 2 and a message with %q", code, out, errOut, tt.want)
			}
			if got := strings.Contains(errOut, "usage:"); got != tt.usage {
				t.Errorf("usage shown: %v, want %v:\n%s", got, tt.usage, errOut)
			}
		})
	}
}

// TestUnreachableDynamoDB: a DynamoDB that refuses connections is said to
// be unreachable, at its endpoint and where that came from, at once
// (status 1, no usage) — never "busy".
func TestUnreachableDynamoDB(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	runJSON := filepath.Join(t.TempDir(), "run.json")
	os.WriteFile(runJSON, []byte(`{"table":"contracts-local","endpoint":"`+closed+`"}`), 0o600)
	tests := []struct {
		name    string
		env     string
		runFile string
		want    string
	}{
		{"set in the environment", closed, "", "DynamoDB is not reachable at " + closed + ", the endpoint AWS_ENDPOINT_URL_DYNAMODB names"},
		{"make run's, from its run file", "", runJSON, "DynamoDB Local is not reachable at " + closed + ", the endpoint make run wrote to " + runJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{ddb.TableNameEnv, endpointEnv, "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
				t.Setenv(k, "")
			}
			t.Setenv(endpointEnv, tt.env)
			where := setLocalDefaults(tt.runFile)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"tenant", "create", "--id", "acme"}, &stdout, &stderr,
				func() (Store, error) { return openStore(context.Background(), where) })
			if code != 1 || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("got %d %q, want 1 and %q", code, stderr.String(), tt.want)
			}
			if strings.Contains(stderr.String(), "busy") || strings.Contains(stderr.String(), "usage:") {
				t.Fatalf("said busy, or showed usage: %q", stderr.String())
			}
		})
	}
}

// TestLocalDefaultsFollowMakeRun: with no environment the command works
// on the table and DynamoDB Local endpoint make run wrote to its run file
// (another DDB_PORT included), or on make run's defaults when it wrote
// none; a variable already set wins.
func TestLocalDefaultsFollowMakeRun(t *testing.T) {
	dir := t.TempDir()
	runJSON := filepath.Join(dir, "run.json")
	os.WriteFile(runJSON, []byte(`{"table":"contracts-other","endpoint":"http://127.0.0.1:8123"}`), 0o600)
	tests := []struct {
		name                string
		runFile, envTable   string
		envEndpoint         string
		wantTable, wantEndp string
	}{
		{"make run going", runJSON, "", "", "contracts-other", "http://127.0.0.1:8123"},
		{"make run not going", filepath.Join(dir, "none.json"), "", "", localTable, localEndpoint},
		{"endpoint set", runJSON, "", "http://127.0.0.1:9000", "contracts-other", "http://127.0.0.1:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(ddb.TableNameEnv, tt.envTable)
			t.Setenv(endpointEnv, tt.envEndpoint)
			setLocalDefaults(tt.runFile)
			if got := os.Getenv(ddb.TableNameEnv); got != tt.wantTable {
				t.Errorf("table %q, want %q", got, tt.wantTable)
			}
			if got := os.Getenv(endpointEnv); got != tt.wantEndp {
				t.Errorf("endpoint %q, want %q", got, tt.wantEndp)
			}
		})
	}
}

// TestTenantNamesAreUnique has a second tenant ask for every kind of name
// the first holds: each is refused with status 2, naming the taken names
// as given and never the tenant that holds them, and nothing is created.
// The second tenant, made with names of its own, does not answer to the
// first's.
func TestTenantNamesAreUnique(t *testing.T) {
	store := ddbtest.NewStore(t)
	ctx := context.Background()
	if code, _, errOut := admin(t, store, "tenant", "create", "--id", "acme", "--alias", "tnt_1", "--alias", "acc-2"); code != 0 {
		t.Fatal(errOut)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"its id", []string{"--id", "acme"}, `--id "acme" already names a tenant`},
		{"its alias as an alias", []string{"--id", "b", "--alias", "tnt_b", "--alias", "tnt_1"}, `--alias "tnt_1" already names a tenant`},
		{"its id as an alias", []string{"--id", "b", "--alias", "acme"}, `--alias "acme" already names a tenant`},
		{"its alias as an id", []string{"--id", "tnt_1", "--alias", "tnt_b"}, `--id "tnt_1" already names a tenant`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := admin(t, store, append([]string{"tenant", "create"}, tt.args...)...)
			if code != 2 || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "nothing was created") {
				t.Fatalf("got %d %q %q, want 2 and a message with %q", code, out, errOut, tt.want)
			}
			if out != "" {
				t.Errorf("a refused create printed %q", out)
			}
			// Only the names given may appear: the holder's id, or its
			// other aliases, would say whose the name is.
			for _, other := range []string{"acme", "tnt_1", "acc-2"} {
				if strings.Contains(errOut, `"`+other+`"`) && !slices.Contains(tt.args, other) {
					t.Errorf("the refusal names %q, which was not asked for: %q", other, errOut)
				}
			}
		})
	}
	if _, err := store.GetTenant(ctx, "b"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a refused tenant was created: %v", err)
	}
	code, out, errOut := admin(t, store, "tenant", "create", "--id", "b", "--alias", "tnt_b")
	if code != 0 {
		t.Fatalf("the second tenant with names of its own: %d %q", code, errOut)
	}
	p, err := auth.Authenticate(ctx, store, lastLine(out))
	if err != nil || p.Tenant.ID != "b" {
		t.Fatalf("the second tenant's token: %+v %v", p, err)
	}
	for _, name := range []string{"acme", "tnt_1", "acc-2"} {
		if p.Tenant.Names(name) {
			t.Errorf("the second tenant answers to the first's %q", name)
		}
	}
}

// TestTenantReserve reserves the names of a tenant made before names were
// reserved (its name items removed here): refused with status 2 while
// another tenant holds one of them, done (and done again) once free.
func TestTenantReserve(t *testing.T) {
	client, table := ddbtest.NewTable(t)
	store := ddb.New(client, table)
	ctx := context.Background()
	if code, _, errOut := admin(t, store, "tenant", "create", "--id", "old", "--alias", "old-alias"); code != 0 {
		t.Fatal(errOut)
	}
	unreserve := func(name string) {
		t.Helper()
		if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "TENANT-NAME#" + name},
			"SK": &types.AttributeValueMemberS{Value: "TENANT-NAME"},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	unreserve("old")
	unreserve("old-alias")
	if code, _, errOut := admin(t, store, "tenant", "create", "--id", "newer", "--alias", "old-alias"); code != 0 {
		t.Fatalf("an unreserved name is free: %d %q", code, errOut)
	}
	code, out, errOut := admin(t, store, "tenant", "reserve", "--id", "old")
	if code != 2 || !strings.Contains(errOut, `--alias "old-alias" already names a tenant`) || strings.Contains(errOut, "newer") {
		t.Fatalf("reserve a name another tenant took: %d %q %q", code, out, errOut)
	}
	unreserve("old-alias")
	for range 2 {
		if code, out, errOut := admin(t, store, "tenant", "reserve", "--id", "old"); code != 0 || !strings.Contains(out, "old, old-alias") {
			t.Fatalf("reserve: %d %q %q", code, out, errOut)
		}
	}
	if code, _, errOut := admin(t, store, "tenant", "create", "--id", "thief", "--alias", "old-alias"); code != 2 || !strings.Contains(errOut, `--alias "old-alias" already names a tenant`) {
		t.Fatalf("a reserved name was taken: %d %q", code, errOut)
	}
}

// TestShippedPlansFile: the catalog the README's plan put names is one
// the command accepts.
func TestShippedPlansFile(t *testing.T) {
	plans, err := readPlans(filepath.Join("..", "plans.json"))
	if err != nil || len(plans) == 0 {
		t.Fatalf("infra/plans.json: %d plans, %v", len(plans), err)
	}
}
