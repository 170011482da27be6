// Package confirm keeps the confirmations behind destructive buttons:
// single-use, expiring, and taken at most once however often they are pressed.
package confirm

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/config"
)

// Errors Take returns; each gets a short answer and changes nothing.
var (
	ErrUnknown = errors.New("this button is not valid (pgkeeper restarted, or it was never ours)")
	ErrExpired = errors.New("this confirmation has expired: ask again")
	ErrUsed    = errors.New("this confirmation was already used")
)

// Pending is an action waiting for its button.
type Pending struct {
	Token     string
	Action    string // what the button does: "restore", "cleanup", …
	Arg       string // the action's argument, fixed when it was offered
	UserID    int64  // who asked
	ChatID    int64
	MessageID int
	Expires   time.Time
	used      bool
}

// Store holds pending confirmations in memory. A restart forgets them, which
// is the safe direction: an old button then does nothing.
type Store struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	pending map[string]*Pending
}

// New returns a Store whose confirmations live ttl (0: CONFIRM_TTL's
// default); now may be nil (wall clock).
func New(ttl time.Duration, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	if ttl <= 0 {
		ttl = config.DefaultConfirmTTL
	}
	return &Store{ttl: ttl, now: now, pending: map[string]*Pending{}}
}

// TTL is how long a new confirmation stays valid.
func (s *Store) TTL() time.Duration { return s.ttl }

// Offer registers an action and returns its token for the button's data. The
// token is random: a forged callback cannot guess one.
func (s *Store) Offer(action, arg string, userID, chatID int64) string {
	return s.OfferFor(s.ttl, action, arg, userID, chatID)
}

// OfferFor is Offer with its own lifetime (an undo button lives for hours).
func (s *Store) OfferFor(ttl time.Duration, action, arg string, userID, chatID int64) string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[token] = &Pending{Token: token, Action: action, Arg: arg, UserID: userID, ChatID: chatID, Expires: s.now().Add(ttl)}
	return token
}

// Attach records the message carrying the buttons, so they can be removed on expiry.
func (s *Store) Attach(token string, messageID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pending[token]; ok {
		p.MessageID = messageID
	}
}

// Peek is the confirmation token stands for, without taking it: whether
// the hand pressing it may take it at all is the caller's to judge first.
func (s *Store) Peek(token string) (Pending, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[token]
	if !ok {
		return Pending{}, false
	}
	return *p, true
}

// Take consumes a confirmation. Exactly one caller ever gets it: concurrent
// and repeated presses get ErrUsed.
func (s *Store) Take(token string) (Pending, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[token]
	switch {
	case !ok:
		return Pending{}, ErrUnknown
	case p.used:
		return *p, ErrUsed
	case !s.now().Before(p.Expires):
		return *p, ErrExpired
	}
	p.used = true
	return *p, nil
}

// Expired removes and returns confirmations past their time (and used ones
// past it too), so their buttons can be taken off the messages.
func (s *Store) Expired() []Pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Pending
	now := s.now()
	for t, p := range s.pending {
		if !now.Before(p.Expires) {
			if !p.used {
				out = append(out, *p)
			}
			delete(s.pending, t)
		}
	}
	return out
}
