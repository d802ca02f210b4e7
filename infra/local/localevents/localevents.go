// Package localevents runs the contract events' pipeline on this
// machine the way the deployed stack runs it: the table's stream (DynamoDB
// Local's, which implements the Streams API) polled as template.yaml's
// event source mapping would poll it, each batch handed to the function's
// built bootstrap through the Runtime API, and the events put on a local
// EventBridge, moto_server's (Python's moto), where a rule forwards every
// contract event to a queue anyone can read. make run and the end-to-end
// tests use it.
package localevents

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"gopkg.in/yaml.v3"

	"github.com/contracts-service/contracts/infra/local/runtimeapi"
	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/ddb/ddbstream"
)

// Mapping is an AWS::Lambda::EventSourceMapping of template.yaml that
// reads a table's stream, with what the local mapping follows of it.
type Mapping struct {
	LogicalID string
	// Function is the logical id of the function it feeds (its alias's).
	Function string
	// Table is the logical id of the table whose stream it reads.
	Table                   string
	StartingPosition        string
	BatchSize               int
	MaximumRetryAttempts    int
	MaximumRecordAge        time.Duration
	Bisect                  bool
	ReportBatchItemFailures bool
	// OnFailure is the logical id of the queue of its on-failure
	// destination, if any.
	OnFailure string
	// Filter is its FilterCriteria; nil passes every record.
	Filter *Filter
}

// StreamMappings reads the event source mappings of template that read a
// table's stream.
func StreamMappings(template string) ([]Mapping, error) {
	data, err := os.ReadFile(template)
	if err != nil {
		return nil, err
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				FunctionName               yaml.Node `yaml:"FunctionName"`
				EventSourceArn             yaml.Node `yaml:"EventSourceArn"`
				StartingPosition           string    `yaml:"StartingPosition"`
				BatchSize                  int       `yaml:"BatchSize"`
				MaximumRetryAttempts       *int      `yaml:"MaximumRetryAttempts"`
				MaximumRecordAgeInSeconds  *int      `yaml:"MaximumRecordAgeInSeconds"`
				BisectBatchOnFunctionError bool      `yaml:"BisectBatchOnFunctionError"`
				FunctionResponseTypes      []string  `yaml:"FunctionResponseTypes"`
				FilterCriteria             struct {
					Filters []struct {
						Pattern string `yaml:"Pattern"`
					} `yaml:"Filters"`
				} `yaml:"FilterCriteria"`
				DestinationConfig struct {
					OnFailure struct {
						Destination yaml.Node `yaml:"Destination"`
					} `yaml:"OnFailure"`
				} `yaml:"DestinationConfig"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(data, &tpl); err != nil {
		return nil, fmt.Errorf("localevents: %s: %w", template, err)
	}
	var out []Mapping
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Lambda::EventSourceMapping" {
			continue
		}
		p := r.Properties
		table, ok := strings.CutSuffix(p.EventSourceArn.Value, ".StreamArn")
		if p.EventSourceArn.Tag != "!GetAtt" || !ok {
			continue
		}
		fn, ok := strings.CutSuffix(p.FunctionName.Value, ".Alias")
		if p.FunctionName.Tag != "!Ref" || !ok {
			return nil, fmt.Errorf("localevents: %s feeds %s %s, not a function's alias", id, p.FunctionName.Tag, p.FunctionName.Value)
		}
		m := Mapping{
			LogicalID: id, Function: fn, Table: table, StartingPosition: p.StartingPosition,
			BatchSize: p.BatchSize, Bisect: p.BisectBatchOnFunctionError,
			ReportBatchItemFailures: slicesContains(p.FunctionResponseTypes, "ReportBatchItemFailures"),
		}
		// Lambda's defaults: -1, retry and keep records until they expire.
		m.MaximumRetryAttempts, m.MaximumRecordAge = 10000, 0
		if p.MaximumRetryAttempts != nil && *p.MaximumRetryAttempts >= 0 {
			m.MaximumRetryAttempts = *p.MaximumRetryAttempts
		}
		if p.MaximumRecordAgeInSeconds != nil && *p.MaximumRecordAgeInSeconds > 0 {
			m.MaximumRecordAge = time.Duration(*p.MaximumRecordAgeInSeconds) * time.Second
		}
		if d := p.DestinationConfig.OnFailure.Destination; d.Tag == "!GetAtt" {
			m.OnFailure, _ = strings.CutSuffix(d.Value, ".Arn")
		}
		var patterns []string
		for _, f := range p.FilterCriteria.Filters {
			patterns = append(patterns, f.Pattern)
		}
		var err error
		if m.Filter, err = ParseFilter(patterns); err != nil {
			return nil, fmt.Errorf("localevents: %s: %w", id, err)
		}
		if m.StartingPosition != "TRIM_HORIZON" {
			return nil, fmt.Errorf("localevents: %s starts at %s; only TRIM_HORIZON is emulated", id, m.StartingPosition)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out, nil
}

func slicesContains(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

// Moto is a moto_server process, in a process group of its own.
type Moto struct {
	// Endpoint is its URL, on 127.0.0.1.
	Endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
}

// StartMoto starts command (moto_server when empty) on a port of
// 127.0.0.1 the system picks, and returns once it listens. Its log goes
// to out.
func StartMoto(ctx context.Context, command string, out io.Writer) (*Moto, error) {
	if command == "" {
		command = "moto_server"
	}
	if out == nil {
		out = io.Discard
	}
	cmd := exec.Command(command, "-H", "127.0.0.1", "-p", "0")
	ownProcessGroup(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("localevents: start %s: %w", command, err)
	}
	m := &Moto{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		defer close(m.done)
		running := regexp.MustCompile(`Running on (http://127\.0\.0\.1:[0-9]+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(out, sc.Text())
			if r := running.FindStringSubmatch(sc.Text()); r != nil {
				select {
				case found <- r[1]:
				default:
				}
			}
		}
		cmd.Wait()
	}()
	select {
	case m.Endpoint = <-found:
		return m, nil
	case <-m.done:
		return nil, fmt.Errorf("localevents: %s ended before it listened", command)
	case <-ctx.Done():
		m.Close()
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		m.Close()
		return nil, fmt.Errorf("localevents: %s did not listen within 30 s", command)
	}
}

// Close ends moto_server and everything it started, and waits for it.
func (m *Moto) Close() error {
	killProcessGroup(m.cmd)
	<-m.done
	return nil
}

// Bus is a contract-events bus on moto, with a rule that forwards every
// contract event (source contracts-service) to a queue, and the queue
// that plays the stream mapping's on-failure destination.
type Bus struct {
	Endpoint        string
	Region          string
	Name            string
	ARN             string
	QueueURL        string
	FailureQueueURL string
	events          *eventbridge.Client
	sqs             *sqs.Client
}

// Clients for moto: it takes any credentials.
func clients(endpoint, region string) (*eventbridge.Client, *sqs.Client) {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
	})
	eb := eventbridge.New(eventbridge.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(endpoint)})
	q := sqs.New(sqs.Options{Region: region, Credentials: creds, BaseEndpoint: aws.String(endpoint)})
	return eb, q
}

// RuleName is the rule that forwards the bus's contract events to its
// queue.
const RuleName = "contract-events-to-queue"

// CreateBus creates, on the EventBridge and SQS at endpoint, the bus name
// (kept if it exists), its rule and queue (name too), and the failure
// queue (name-failures).
func CreateBus(ctx context.Context, endpoint, region, name string) (*Bus, error) {
	eb, q := clients(endpoint, region)
	b := &Bus{Endpoint: endpoint, Region: region, Name: name, events: eb, sqs: q}
	created, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)})
	if err == nil {
		b.ARN = aws.ToString(created.EventBusArn)
	} else {
		d, derr := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(name)})
		if derr != nil {
			return nil, fmt.Errorf("localevents: create bus %s: %w", name, err)
		}
		b.ARN = aws.ToString(d.Arn)
	}
	for _, q := range []struct {
		name string
		url  *string
	}{{name, &b.QueueURL}, {name + "-failures", &b.FailureQueueURL}} {
		out, err := b.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.name)})
		if err != nil {
			return nil, fmt.Errorf("localevents: create queue %s: %w", q.name, err)
		}
		*q.url = aws.ToString(out.QueueUrl)
	}
	attrs, err := b.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(b.QueueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, fmt.Errorf("localevents: queue %s: %w", name, err)
	}
	queueARN := attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	pattern, _ := json.Marshal(map[string][]string{"source": {contractevents.Source}})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(RuleName), EventBusName: aws.String(name), EventPattern: aws.String(string(pattern))}); err != nil {
		return nil, fmt.Errorf("localevents: rule on %s: %w", name, err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(RuleName), EventBusName: aws.String(name),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(queueARN)}}}); err != nil {
		return nil, fmt.Errorf("localevents: target of %s: %w", RuleName, err)
	}
	return b, nil
}

// Env is what .local/events.env holds: where the bus and its queue are,
// and the region and credentials the aws CLI needs for them (moto takes
// any), so that, with the file's variables exported,
// aws --endpoint-url "$EVENTS_ENDPOINT" sqs receive-message --queue-url "$EVENTS_QUEUE_URL"
// shows the events.
func (b *Bus) Env() map[string]string {
	return map[string]string{
		"EVENTS_ENDPOINT":          b.Endpoint,
		"EVENTS_BUS_NAME":          b.Name,
		"EVENTS_QUEUE_URL":         b.QueueURL,
		"EVENTS_FAILURE_QUEUE_URL": b.FailureQueueURL,
		"AWS_REGION":               b.Region,
		"AWS_DEFAULT_REGION":       b.Region,
		"AWS_ACCESS_KEY_ID":        "local",
		"AWS_SECRET_ACCESS_KEY":    "local",
	}
}

// WriteEnv writes Env to path as NAME=value lines, readable by a shell.
func (b *Bus) WriteEnv(path string) error {
	env := b.Env()
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	var sb strings.Builder
	sb.WriteString("# Written by make run: where its contract events are (README, Contract events).\n")
	for _, k := range names {
		fmt.Fprintf(&sb, "%s=%s\n", k, shellQuote(env[k]))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(sb.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Received returns the bodies of the messages the bus's queue holds now,
// and deletes them, waiting up to wait for the first.
func (b *Bus) Received(ctx context.Context, wait time.Duration) ([]string, error) {
	return b.drain(ctx, b.QueueURL, wait)
}

// Failures returns the bodies the failure queue holds now (the stream
// mapping's descriptions of batches it gave up on), and deletes them.
func (b *Bus) Failures(ctx context.Context) ([]string, error) {
	return b.drain(ctx, b.FailureQueueURL, 0)
}

func (b *Bus) drain(ctx context.Context, url string, wait time.Duration) ([]string, error) {
	var out []string
	for {
		res, err := b.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			WaitTimeSeconds: int32(wait / time.Second), VisibilityTimeout: 30})
		if err != nil {
			return out, fmt.Errorf("localevents: receive from %s: %w", url, err)
		}
		if len(res.Messages) == 0 {
			return out, nil
		}
		wait = 0
		for _, m := range res.Messages {
			out = append(out, aws.ToString(m.Body))
			if _, err := b.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return out, fmt.Errorf("localevents: delete from %s: %w", url, err)
			}
		}
	}
}

// sendFailure puts f on the failure queue, as Lambda sends a stream
// mapping's on-failure record to an SQS destination.
func (b *Bus) sendFailure(ctx context.Context, f ddbstream.Failure) error {
	body, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = b.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(b.FailureQueueURL), MessageBody: aws.String(string(body))})
	return err
}

// Feed is a running stream mapping.
type Feed struct {
	cancel context.CancelFunc
	done   chan error
}

// FeedConfig is what StartFeed needs.
type FeedConfig struct {
	Mapping   Mapping
	Function  *runtimeapi.Function
	StreamARN string
	Region    string
	Bus       *Bus
	// Checkpoints keeps the stream's position across runs; nil keeps it
	// in memory (from the stream's trim horizon on every start).
	Checkpoints ddbstream.Checkpoints
	// PollInterval and RetryWait shorten the mapping's waits (tests).
	PollInterval, RetryWait time.Duration
	// Log receives the mapping's own lines.
	Log io.Writer
}

// StartFeed polls the stream and hands its batches to the function, as
// cfg.Mapping says, until Close.
func StartFeed(cfg FeedConfig) (*Feed, error) {
	client, err := ddbstream.NewClient()
	if err != nil {
		return nil, err
	}
	if !cfg.Mapping.ReportBatchItemFailures {
		return nil, fmt.Errorf("localevents: %s does not report batch item failures; only that is emulated", cfg.Mapping.LogicalID)
	}
	var logMu sync.Mutex
	m := &ddbstream.Mapping{
		Client: client, StreamARN: cfg.StreamARN, Region: cfg.Region,
		FunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s:live", cfg.Region, runtimeapi.AccountID, cfg.Function.Name()),
		Invoke: func(ctx context.Context, payload []byte) ([]byte, error, error) {
			resp, fnErr, err := cfg.Function.Invoke(ctx, payload)
			var exit *runtimeapi.ExitError
			switch {
			case errors.As(err, &exit):
				return nil, exit.FunctionError(), nil
			case err != nil:
				return nil, nil, err
			case fnErr != nil:
				return nil, fnErr, nil
			}
			return resp, nil, nil
		},
		Filter:    cfg.Mapping.Filter.Match,
		BatchSize: cfg.Mapping.BatchSize, MaximumRetryAttempts: cfg.Mapping.MaximumRetryAttempts,
		MaximumRecordAge: cfg.Mapping.MaximumRecordAge, Bisect: cfg.Mapping.Bisect,
		Checkpoints: cfg.Checkpoints, PollInterval: cfg.PollInterval, RetryWait: cfg.RetryWait,
		Log: func(format string, args ...any) {
			if cfg.Log == nil {
				return
			}
			logMu.Lock()
			defer logMu.Unlock()
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		},
	}
	if cfg.Bus != nil && cfg.Mapping.OnFailure != "" {
		m.OnFailure = cfg.Bus.sendFailure
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Feed{cancel: cancel, done: make(chan error, 1)}
	go func() { f.done <- m.Run(ctx) }()
	return f, nil
}

// Close stops the feed and waits for the batch in flight.
func (f *Feed) Close() error {
	f.cancel()
	if err := <-f.done; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
