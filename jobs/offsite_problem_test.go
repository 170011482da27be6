package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pgkeeper/pgkeeper/remote"
)

func TestRemoteProblemSaysTheFix(t *testing.T) {
	rerr := func(kind error, reason string) error {
		return &remote.Error{Remote: "msk", Op: "put", Key: "x.dump.zst", Kind: kind, Reason: reason}
	}
	tests := []struct {
		name string
		give error
		want string
	}{
		{"wrong credentials", rerr(remote.ErrCredentials, "the secret key does not match"), "check this remote's access key and secret key"},
		{"missing bucket", rerr(remote.ErrNoBucket, "the bucket does not exist"), "create the bucket"},
		{"access denied", rerr(remote.ErrDenied, "these credentials may not do this"), "allow these credentials"},
		{"clock skew", rerr(remote.ErrClockSkew, "this machine's clock is …, the store's …: set the clock right (NTP)"), "NTP"},
		{"unreachable", rerr(remote.ErrTransient, "connection refused (after 4 attempts)"), "unreachable"},
		{"cancelled", rerr(context.Canceled, "cancelled"), "the run was stopped"},
		{"damaged here", fmt.Errorf("reading: %w", ErrChanged), "run a new backup"},
		{"TLS", rerr(nil, "TLS: x509: certificate signed by unknown authority"), "endpoint"},
		{"other", errors.New("open x: permission denied"), "settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := remoteProblem(tt.give)
			if !strings.Contains(got, tt.want) || !strings.HasPrefix(got, oneLine(tt.give.Error())) ||
				strings.Contains(got, "\n") {
				t.Errorf("remoteProblem = %q, want the error and %q, on one line", got, tt.want)
			}
		})
	}
}

func TestWithCopyKeepsTheConfiguredOrder(t *testing.T) {
	order := []string{"msk", "spb"}
	var cs []RemoteCopy
	cs = withCopy(cs, RemoteCopy{Remote: "spb", Key: "1"}, order)
	cs = withCopy(cs, RemoteCopy{Remote: "gone", Key: "2"}, order)
	cs = withCopy(cs, RemoteCopy{Remote: "msk", Key: "3"}, order)
	cs = withCopy(cs, RemoteCopy{Remote: "spb", Key: "4"}, order)
	var got []string
	for _, c := range cs {
		got = append(got, c.Remote+"="+c.Key)
	}
	if want := "msk=3 spb=4 gone=2"; strings.Join(got, " ") != want {
		t.Errorf("records %v, want %s", got, want)
	}
}
