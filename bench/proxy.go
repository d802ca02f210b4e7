package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// countingProxy is a reverse proxy on 127.0.0.1 in front of DynamoDB Local
// that notes each request and when it arrived. The bootstraps under test
// are pointed at it, so the requests a process makes before its first
// request for work (its init) can be counted, and the requests of one
// warm request sent again as its floor.
type countingProxy struct {
	srv    *http.Server
	url    string
	target string

	mu       sync.Mutex
	arrivals []time.Time
	seen     []replayRequest
}

// startProxy starts a countingProxy to target.
func startProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{url: "http://" + ln.Addr().String(), target: target}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			p.mu.Lock()
			p.arrivals = append(p.arrivals, time.Now())
			p.seen = append(p.seen, replayRequest{header: r.Header.Clone(), body: body})
			p.mu.Unlock()
			rp.ServeHTTP(w, r)
		}),
	}
	go p.srv.Serve(ln)
	return p, nil
}

// between counts the requests that arrived in [from, to].
func (p *countingProxy) between(from, to time.Time) int { return len(p.requests(from, to)) }

// requests returns the requests that arrived in [from, to].
func (p *countingProxy) requests(from, to time.Time) []replayRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []replayRequest
	for i, t := range p.arrivals {
		if !t.Before(from) && !t.After(to) {
			out = append(out, p.seen[i])
		}
	}
	return out
}

// Close stops the proxy.
func (p *countingProxy) Close() error { return p.srv.Close() }
