package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// The kinds of failure a caller branches on; test with errors.Is. Every
// error a Bucket returns is an *Error that wraps at most one of them.
var (
	// ErrCredentials: the store does not accept the access key or its signature.
	ErrCredentials = errors.New("wrong credentials")
	// ErrNoBucket: the bucket does not exist at that endpoint and region.
	ErrNoBucket = errors.New("missing bucket")
	// ErrDenied: the credentials are valid but may not do this.
	ErrDenied = errors.New("access denied")
	// ErrClockSkew: this machine's clock and the store's differ too much to sign.
	ErrClockSkew = errors.New("clock skew")
	// ErrNotFound: no object under that key.
	ErrNotFound = errors.New("not found")
	// ErrTransient: a failure that may pass (5xx, throttling, a cut
	// connection); a Bucket has already retried it.
	ErrTransient = errors.New("transient")
	// ErrBadKey: a key or prefix that could leave the configured prefix.
	ErrBadKey = errors.New("bad key")
)

// Error is a failed operation on a remote, told in one line for people:
// "remote msk: put daily/x.dump: access denied (AccessDenied: Access Denied)".
// It never holds a credential: its reason is built from the store's error
// code and message, or from the network error without the request URL.
type Error struct {
	Remote string // the remote's name
	Op     string // put, get, list, head, delete, abort, probe
	Key    string // relative to the prefix; "" for bucket-wide operations
	Kind   error  // one of the Err* values, or the context's error; nil when none fits
	Reason string // one line, for people
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Remote != "" {
		b.WriteString("remote " + e.Remote + ": ")
	}
	b.WriteString(e.Op)
	if e.Key != "" {
		b.WriteString(" " + e.Key)
	}
	b.WriteString(": ")
	if e.Kind != nil && e.Kind != ErrTransient && e.Kind != context.Canceled && e.Kind != context.DeadlineExceeded &&
		!strings.HasPrefix(e.Reason, e.Kind.Error()) {
		b.WriteString(e.Kind.Error() + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap lets errors.Is find the kind.
func (e *Error) Unwrap() error { return e.Kind }

// classify turns an SDK or network error into a kind and a reason for
// people. now is this machine's clock when the request went out.
func classify(err error, sent time.Time) (kind error, reason string) {
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled, "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded, "timed out"
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code, msg := api.ErrorCode(), api.ErrorMessage()
		detail := code
		if msg != "" && msg != code {
			detail += ": " + oneLine(msg)
		}
		switch code {
		case "InvalidAccessKeyId":
			return ErrCredentials, "the store does not know this access key (" + detail + ")"
		case "SignatureDoesNotMatch":
			return ErrCredentials, "the secret key does not match the access key (" + detail + ")"
		case "InvalidToken", "ExpiredToken", "TokenRefreshRequired":
			return ErrCredentials, "the session token is invalid or expired (" + detail + ")"
		case "NoSuchBucket":
			return ErrNoBucket, "the bucket does not exist at this endpoint and region (" + detail + ")"
		case "AccessDenied", "AllAccessDisabled", "AccountProblem":
			return ErrDenied, "these credentials may not do this (" + detail + ")"
		case "RequestTimeTooSkewed":
			return ErrClockSkew, skewReason(re, sent)
		case "NoSuchKey", "NotFound":
			return ErrNotFound, "no such object"
		case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError",
			"ServiceUnavailable", "RequestLimitExceeded", "TooManyRequests":
			return ErrTransient, detail
		}
		switch {
		case status == http.StatusNotFound:
			return ErrNotFound, "no such object"
		case status == http.StatusForbidden:
			// A HEAD answer has no body, so no code to tell these apart.
			return ErrDenied, "forbidden (HTTP 403: access denied, or wrong credentials)"
		case status >= 500 || status == http.StatusTooManyRequests:
			return ErrTransient, fmt.Sprintf("%s (HTTP %d)", detail, status)
		case status != 0:
			return nil, fmt.Sprintf("%s (HTTP %d)", detail, status)
		}
		return nil, detail
	}
	if status >= 500 || status == http.StatusTooManyRequests {
		return ErrTransient, fmt.Sprintf("HTTP %d", status)
	}
	return network(err)
}

// network classifies a failure below HTTP. The URL that net/http puts in
// front of it is left out: it names the bucket's host and the upload id,
// and nothing there helps a person.
func network(err error) (kind error, reason string) {
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	reason = oneLine(inner.Error())
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return nil, "no such host: " + dns.Name
	case strings.Contains(reason, "x509:") || strings.Contains(reason, "tls:"):
		return nil, "TLS: " + reason
	case strings.Contains(err.Error(), "failed to refresh cached credentials"), strings.Contains(err.Error(), "no EC2 IMDS"):
		return ErrCredentials, "no credentials found (set the access key and secret, or a profile)"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ErrTransient, reason
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ErrTransient, reason
	}
	return nil, reason
}

// skewReason names both clocks: ours when the request went out, and the
// store's from its Date header, when it sent one.
func skewReason(re *awshttp.ResponseError, sent time.Time) string {
	r := "this machine's clock is " + sent.UTC().Format(time.DateTime) + " UTC"
	if re != nil && re.Response != nil {
		if d, err := http.ParseTime(re.Response.Header.Get("Date")); err == nil {
			apart := d.Sub(sent).Round(time.Second) // Date has whole seconds
			if apart >= time.Minute || apart <= -time.Minute {
				apart = apart.Round(time.Minute)
			}
			r += ", the store's " + d.UTC().Format(time.DateTime) + " UTC (" + apart.String() + " apart)"
		}
	}
	return r + "; S3 signatures allow 15 minutes: set the clock right (NTP)"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
