// Package hookreceiver is an https webhook receiver for the tests of the
// local stack: it keeps every webhook it accepts, and answers 500 to those
// sent to a path it was told to refuse, so a delivery fails when a test
// wants one to.
package hookreceiver

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Hook is a webhook as the receiver got it.
type Hook struct {
	Header http.Header
	Body   []byte
}

// Receiver is the https server. The local stack trusts it when given
// RootCAs (devstack.Options.WebhookRootCAs).
type Receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	accepted []Hook
	refused  map[string]bool
}

// Start starts a receiver that accepts every webhook (204).
func Start() *Receiver {
	r := &Receiver{refused: map[string]bool{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused[req.URL.Path] {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	r.accepted = append(r.accepted, Hook{Header: req.Header.Clone(), Body: b})
	w.WriteHeader(http.StatusNoContent)
}

// URL is the receiver's https URL for path ("/hooks/x").
func (r *Receiver) URL(path string) string { return r.srv.URL + path }

// Host is the host:port of every URL of the receiver.
func (r *Receiver) Host() string { return r.srv.Listener.Addr().String() }

// RootCAs trust the receiver's certificate.
func (r *Receiver) RootCAs() *x509.CertPool {
	return r.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}

// Refuse answers 500 to every webhook sent to path from now on.
func (r *Receiver) Refuse(path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused[path] = true
}

// WaitFor returns the webhooks accepted with webhook-id id, waiting up to
// 30 s for one; none when none came.
func (r *Receiver) WaitFor(t testing.TB, id string) []Hook {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		var got []Hook
		for _, h := range r.accepted {
			if h.Header.Get("webhook-id") == id {
				got = append(got, h)
			}
		}
		r.mu.Unlock()
		if len(got) > 0 || time.Now().After(deadline) {
			return got
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Close stops the receiver.
func (r *Receiver) Close() { r.srv.Close() }
