// Package s3test runs an S3 API in the test's process: gofakes3 over TLS
// (over plain HTTP gofakes3 stores aws-chunked framing as data), with a
// bucket made, credentials it checks, and faults a test can turn on.
package s3test

import (
	"context"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The bucket Start makes, and the only credentials the server accepts.
const (
	Bucket          = "pgkeeper"
	AccessKeyID     = "AKIAPGKEEPERTEST"
	SecretAccessKey = "pgkeeper-test-secret-do-not-leak"
	Region          = "us-east-1"
)

// Server is an S3 API on 127.0.0.1 over TLS.
type Server struct {
	URL    string       // https://127.0.0.1:port
	Client *http.Client // trusts the server's certificate
	CAPEM  []byte       // the server's certificate, PEM, for a CA bundle file

	offset     atomic.Int64 // the server's clock minus the real one
	denyDelete atomic.Bool
	held       chan struct{} // while not nil, uploads wait on it
	heldCount  atomic.Int64

	mu       sync.Mutex
	failN    int
	failCode string
	failHTTP int
	requests map[string]int // by method
}

// Start runs a server until the test ends, with Bucket made.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{requests: map[string]int{}}
	mem := s3mem.New()
	if err := mem.CreateBucket(Bucket); err != nil {
		tb.Fatal(err)
	}
	fake := gofakes3.New(mem, gofakes3.WithTimeSource(clock{s}), gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewTLSServer(s.guard(fake.Server()))
	tb.Cleanup(srv.Close)
	s.URL, s.Client = srv.URL, srv.Client()
	s.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return s
}

// SetClock puts the server's clock ahead of the real one (behind when
// negative): past 15 minutes, requests fail with RequestTimeTooSkewed.
func (s *Server) SetClock(ahead time.Duration) { s.offset.Store(int64(ahead)) }

// DenyDeletes makes DELETE answer AccessDenied, as write-only credentials
// or Object Lock would.
func (s *Server) DenyDeletes(deny bool) { s.denyDelete.Store(deny) }

// FailNext makes the next n requests fail with the HTTP status and S3
// error code, before they reach the store.
func (s *Server) FailNext(n, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failHTTP, s.failCode = n, status, code
}

// HoldPuts makes every upload (an object's or a part's) wait, unanswered
// and unstored, until release is called; one whose client gives up first is
// dropped. An upload caught in the middle, for as long as a test needs.
// Held counts the uploads waiting.
func (s *Server) HoldPuts() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.held = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.held = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

// Held is how many uploads are waiting on HoldPuts.
func (s *Server) Held() int { return int(s.heldCount.Load()) }

// Requests is how many requests of method reached the server.
func (s *Server) Requests(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[method]
}

type clock struct{ s *Server }

func (c clock) Now() time.Time                  { return time.Now().Add(time.Duration(c.s.offset.Load())) }
func (c clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// guard does what gofakes3 does not: it checks the credentials (gofakes3
// accepts any), answers with the server's clock in Date, and injects faults.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", clock{s}.Now().UTC().Format(http.TimeFormat))
		s.mu.Lock()
		s.requests[r.Method]++
		fail := s.failN > 0
		if fail {
			s.failN--
		}
		status, code := s.failHTTP, s.failCode
		held := s.held
		s.mu.Unlock()
		if held != nil && r.Method == http.MethodPut {
			s.heldCount.Add(1)
			select {
			case <-held:
				s.heldCount.Add(-1)
			case <-r.Context().Done():
				s.heldCount.Add(-1)
				return
			}
		}
		switch {
		case fail:
			deny(w, r, status, code, "injected by s3test")
		case !strings.Contains(r.Header.Get("Authorization"), "Credential="+AccessKeyID+"/"):
			deny(w, r, http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
		case !signedWithSecret(r):
			deny(w, r, http.StatusForbidden, "SignatureDoesNotMatch",
				"The request signature we calculated does not match the signature you provided.")
		case r.Method == http.MethodDelete && s.denyDelete.Load() && !r.URL.Query().Has("uploadId"):
			deny(w, r, http.StatusForbidden, "AccessDenied", "Access Denied")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// signedWithSecret signs the request again with SecretAccessKey, over the
// headers the client said it signed, and compares the signatures.
func signedWithSecret(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	_, signed, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return false
	}
	signed, _, _ = strings.Cut(signed, ",")
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return false
	}
	c := r.Clone(context.Background())
	c.Header = http.Header{}
	for _, h := range strings.Split(signed, ";") {
		if vs := r.Header.Values(h); len(vs) > 0 {
			c.Header[http.CanonicalHeaderKey(h)] = vs
		}
	}
	c.URL.Host, c.URL.Scheme = r.Host, "https"
	creds := aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, c, r.Header.Get("X-Amz-Content-Sha256"), "s3", Region, at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }); err != nil {
		return false
	}
	return c.Header.Get("Authorization") == auth
}

func deny(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	// Read the body first, as S3 does, or the client sees its upload cut
	// (connection reset) instead of the answer.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<30))
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		RequestID string `xml:"RequestId"`
	}{Code: code, Message: msg, RequestID: fmt.Sprint(time.Now().UnixNano())})
}
