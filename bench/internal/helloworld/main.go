// Command helloworld is the smallest aws-lambda-go function: it answers
// every event with a constant. The benchmarks build it with the very recipe
// the Makefile uses for the service's functions and start it beside them,
// so what a function's cold start costs beyond the runtime itself can be
// told apart from what any Go function pays.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) {
		return "hello world", nil
	})
}
