package main

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"
)

// countingProxy is a reverse proxy on 127.0.0.1 in front of DynamoDB Local
// that notes when each request arrives. The bootstraps under test are
// pointed at it, so the requests a process makes before its first request
// for work (its init) can be counted: init must make none.
type countingProxy struct {
	srv *http.Server
	url string

	mu       sync.Mutex
	arrivals []time.Time
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
	p := &countingProxy{url: "http://" + ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			p.arrivals = append(p.arrivals, time.Now())
			p.mu.Unlock()
			rp.ServeHTTP(w, r)
		}),
	}
	go p.srv.Serve(ln)
	return p, nil
}

// between counts the requests that arrived in [from, to].
func (p *countingProxy) between(from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, t := range p.arrivals {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	return n
}

// Close stops the proxy.
func (p *countingProxy) Close() error { return p.srv.Close() }
