// Package httpapi is the glue between API Gateway's HTTP API (payload
// format 2.0) and the dialects: a router keyed by the route keys of
// template.yaml, the actor read from the Lambda authorizer's context,
// strict JSON body decoding, and the one error shape of the service,
// RFC 9457 application/problem+json.
//
// Every HTTP function's handler is a Router's Serve method; nothing else in
// the service decides an HTTP status for an error.
package httpapi
