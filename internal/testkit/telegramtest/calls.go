package telegramtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// Calls returns the calls of method received so far, in order ("*": all).
// A long poll appears as soon as it arrives, before it is answered.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "*" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// AllCalls returns every call received so far, in order.
func (s *Server) AllCalls() []Call { return s.Calls("*") }

// Count is the number of calls of method received so far ("*": all).
func (s *Server) Count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if method == "*" || c.Method == method {
			n++
		}
	}
	return n
}

// SentContaining is the number of messages sent so far (sendMessage) whose
// text contains part: how a test tells that a job started exactly once.
func (s *Server) SentContaining(part string) int {
	n := 0
	for _, c := range s.Calls("sendMessage") {
		if strings.Contains(c.Params["text"], part) {
			n++
		}
	}
	return n
}

// WaitCall waits for a call of method ("*": any) for which match (nil: any)
// is true, and returns the first such call, in order, including calls that
// came before WaitCall was called. Only answered calls count: a call is
// recorded before it is answered, and a test that saw it too early would read
// no MessageID, no Status, and state the answer had not changed yet. On
// timeout it fails the test with a listing of the calls seen. Call it from
// the test's goroutine.
func (s *Server) WaitCall(tb testing.TB, method string, match func(Call) bool, timeout time.Duration) Call {
	tb.Helper()
	return s.WaitCallAfter(tb, method, 0, match, timeout)
}

// WaitCallAfter is WaitCall among the calls of method after the first since
// of them: for a test that counted the calls before it acted.
func (s *Server) WaitCallAfter(tb testing.TB, method string, since int, match func(Call) bool, timeout time.Duration) Call {
	tb.Helper()
	return s.waitCall(tb, method, since, func(c Call) bool { return c.Answered && (match == nil || match(c)) }, timeout)
}

// WaitCount waits until n answered calls of method ("*": any) were made, and
// fails the test on timeout. The bot handles updates concurrently, so a
// test that expects several replies waits for all of them, not for one that
// came last.
func (s *Server) WaitCount(tb testing.TB, method string, n int, timeout time.Duration) {
	tb.Helper()
	var got int
	s.poll(tb, timeout, func() bool {
		got = 0
		for _, c := range s.Calls(method) {
			if c.Answered {
				got++
			}
		}
		return got >= n
	}, func() string { return fmt.Sprintf("%d %s calls answered within %v, want %d", got, method, timeout, n) })
}

// WaitArrived is WaitCall for calls still being answered, such as a long
// poll in progress.
func (s *Server) WaitArrived(tb testing.TB, method string, match func(Call) bool, timeout time.Duration) Call {
	tb.Helper()
	return s.waitCall(tb, method, 0, func(c Call) bool { return match == nil || match(c) }, timeout)
}

func (s *Server) waitCall(tb testing.TB, method string, since int, match func(Call) bool, timeout time.Duration) Call {
	tb.Helper()
	var found Call
	s.poll(tb, timeout, func() bool {
		calls := s.Calls(method)
		for _, c := range calls[min(since, len(calls)):] {
			if match(c) {
				found = c
				return true
			}
		}
		return false
	}, func() string { return fmt.Sprintf("no matching %s call within %v", method, timeout) })
	return found
}

// poll tries until try holds, or fails the test with failure's words and a
// listing of the calls seen.
func (s *Server) poll(tb testing.TB, timeout time.Duration, try func() bool, failure func() string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !try() {
		if time.Now().After(deadline) {
			tb.Fatalf("telegramtest: %s; calls seen:\n%s", failure(), s.describe())
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// describe lists the calls for a failure message. A run of getUpdates calls
// (a long-polling bot makes many) is folded into one line.
func (s *Server) describe() string {
	var b strings.Builder
	calls := s.AllCalls()
	for i := 0; i < len(calls); i++ {
		c := calls[i]
		j := i
		for c.Method == "getUpdates" && j+1 < len(calls) && calls[j+1].Method == "getUpdates" {
			j++
		}
		if j > i {
			fmt.Fprintf(&b, "  %s getUpdates x%d\n", c.At.Format("15:04:05.000"), j-i+1)
			i = j
			continue
		}
		fmt.Fprintf(&b, "  %s %s -> %d", c.At.Format("15:04:05.000"), c.Method, c.Status)
		for _, k := range slices.Sorted(maps.Keys(c.Params)) {
			v := c.Params[k]
			if len(v) > 120 {
				v = v[:120] + "..."
			}
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}
