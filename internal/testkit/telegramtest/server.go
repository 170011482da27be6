// Package telegramtest runs a fake Telegram Bot API server that the real
// telebot client talks to, so tests exercise the bot over HTTP as in production:
//
//	srv := telegramtest.New(t)
//	b, err := tele.NewBot(tele.Settings{URL: srv.URL, Token: srv.Token, Poller: p})
//	srv.SendText(42, "/status")
//	call := srv.WaitCall(t, "sendMessage", nil, 5*time.Second)
//
// The server records every call, remembers the current text and keyboard of
// every message (what the admin sees now), serves queued updates through a
// real long-polling getUpdates, and can be told to fail (a proxy's 502 page,
// a 409 conflict, a 429 flood wait, a dropped connection).
package telegramtest

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake bot's identity, as getMe reports it.
const (
	BotID       = 123456789
	BotUsername = "pgkeeper_test_bot"
)

// Call is one request the server received.
type Call struct {
	Method string
	// Params holds every parameter as a string: JSON strings unquoted, other
	// JSON values (numbers, arrays, objects such as reply_markup) as raw JSON.
	Params map[string]string
	// Files holds uploaded files by form field (e.g. "document", "photo").
	Files map[string]File
	At    time.Time
	// Status is the HTTP status answered; 0 while a long poll is still
	// waiting, or when no response was written (client gone, connection dropped).
	Status int
	// MessageID is the message the call created or edited, 0 otherwise.
	MessageID int
	// Answered is set once the server is done with the call, however it
	// ended; Status and MessageID are final from then on.
	Answered bool
}

// File is an uploaded file.
type File struct {
	Name string
	Data []byte
}

// Upload is the file sent in field. telebot uploads a reader with an empty
// file name, which Go's multipart parser reads as a plain field rather than
// a file.
func (c Call) Upload(field string) []byte {
	if f, ok := c.Files[field]; ok {
		return f.Data
	}
	return []byte(c.Params[field])
}

// Server is a fake Bot API server. All methods are safe for concurrent use.
type Server struct {
	// URL is what tele.Settings.URL takes; Token is the only accepted token.
	URL   string
	Token string

	hs *httptest.Server

	mu sync.Mutex
	// changed is closed (and replaced) whenever waiting long polls must look
	// again: an update was queued, another poll started, or the server closed.
	changed  chan struct{}
	closed   bool
	calls    []Call
	failNext []*failRule
	failFor  failRule
	until    time.Time
	updates  []queued
	lastUpd  int
	pollGen  int
	chats    map[int64]*chat
	commands map[string]string
	seq      int
}

type failRule struct {
	method string
	n      int
	status int
	body   string
}

// New starts a server; it is closed, releasing any waiting long poll, when
// the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		// Shaped like a real token (bot id, colon, 35 characters), random so
		// that no test can depend on it, and easy to spot if it leaks.
		Token:    fmt.Sprintf("%d:AAtest-secret-token-%015x", BotID, rand.Uint64()>>4),
		changed:  make(chan struct{}),
		chats:    map[int64]*chat{},
		commands: map[string]string{},
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.hs.URL
	tb.Cleanup(s.close)
	return s
}

func (s *Server) close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.changed)
	}
	s.mu.Unlock()
	// Close waits for running handlers; the long polls among them return
	// because changed is closed.
	s.hs.Close()
}

// wakeLocked tells waiting long polls to look again. s.mu must be held.
func (s *Server) wakeLocked() {
	if !s.closed {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// FailNext makes the next n calls of method ("*": any method) answer with
// status and body instead of being handled. A body starting with "{" is sent
// as JSON, anything else as HTML. Status 0 drops the connection without an
// answer, which the client sees as a transport error.
func (s *Server) FailNext(method string, n int, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, &failRule{method: method, n: n, status: status, body: body})
}

// FailFor makes every call fail like FailNext for the duration d from now.
// FailNext rules, if any match, take precedence.
func (s *Server) FailFor(d time.Duration, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.until = time.Now().Add(d)
	s.failFor = failRule{status: status, body: body}
}

// failureLocked reports whether the call must fail, and how. s.mu must be held.
func (s *Server) failureLocked(method string) (failRule, bool) {
	for i, r := range s.failNext {
		if r.method == "*" || r.method == method {
			if r.n--; r.n <= 0 {
				s.failNext = append(s.failNext[:i], s.failNext[i+1:]...)
			}
			return *r, true
		}
	}
	if time.Now().Before(s.until) {
		return s.failFor, true
	}
	return failRule{}, false
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || method == "" {
		writeError(w, &apiError{code: 404, desc: "Not Found"})
		return
	}
	if token != s.Token {
		writeError(w, &apiError{code: 401, desc: "Unauthorized"})
		return
	}
	params, files, err := decodeParams(r)
	if err != nil {
		writeError(w, &apiError{code: 400, desc: "Bad Request: " + err.Error()})
		return
	}

	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Params: params, Files: files, At: time.Now()})
	idx := len(s.calls) - 1
	fail, failing := s.failureLocked(method)
	s.mu.Unlock()

	status, msgID := s.answer(w, r, method, params, files, fail, failing)
	s.mu.Lock()
	s.calls[idx].Status, s.calls[idx].MessageID, s.calls[idx].Answered = status, msgID, true
	s.mu.Unlock()
}

// answer writes the response and returns the status written and the message
// the call created or edited.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, method string, params map[string]string,
	files map[string]File, fail failRule, failing bool) (int, int) {
	if failing {
		if fail.status == 0 {
			dropConnection(w)
			return 0, 0
		}
		ctype := "text/html; charset=utf-8"
		if strings.HasPrefix(strings.TrimSpace(fail.body), "{") {
			ctype = "application/json"
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(fail.status)
		io.WriteString(w, fail.body)
		return fail.status, 0
	}
	h, ok := handlers[method]
	if !ok {
		return writeError(w, &apiError{code: 404, desc: "Not Found"}), 0
	}
	res := h(s, &request{ctx: r.Context(), params: params, files: files})
	if res.gone {
		return 0, 0
	}
	if res.err != nil {
		return writeError(w, res.err), 0
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": res.result})
	return http.StatusOK, res.msgID
}

func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection for us
}

// apiError is a Bot API error answer.
type apiError struct {
	code       int
	desc       string
	retryAfter int
}

func writeError(w http.ResponseWriter, e *apiError) int {
	body := map[string]any{"ok": false, "error_code": e.code, "description": e.desc}
	if e.retryAfter > 0 {
		body["parameters"] = map[string]int{"retry_after": e.retryAfter}
	}
	writeJSON(w, e.code, body)
	return e.code
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own values: a bug in this package
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(data)
}

// decodeParams reads the parameters of a call however telebot sent them:
// JSON for most methods, multipart when uploading, a form or a query otherwise.
func decodeParams(r *http.Request) (map[string]string, map[string]File, error) {
	params := map[string]string{}
	for k, v := range r.URL.Query() {
		params[k] = v[0]
	}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			return nil, nil, err
		}
		for k, v := range r.MultipartForm.Value {
			params[k] = v[0]
		}
		files := map[string]File{}
		for field, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return nil, nil, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, nil, err
			}
			files[field] = File{Name: fhs[0].Filename, Data: data}
		}
		return params, files, nil
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, nil, err
		}
		for k, v := range r.PostForm {
			params[k] = v[0]
		}
		return params, nil, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err
	}
	// telebot encodes a nil payload (getMe) as "null".
	if t := strings.TrimSpace(string(body)); t == "" || t == "null" {
		return params, nil, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, fmt.Errorf("can't parse JSON body: %v", err)
	}
	for k, v := range raw {
		var s string
		switch {
		case string(v) == "null":
		case json.Unmarshal(v, &s) == nil:
			params[k] = s
		default:
			params[k] = string(v)
		}
	}
	return params, nil, nil
}
