package config

import (
	"errors"
	"strings"
)

// Problem is one bad variable and what is wrong with it.
type Problem struct {
	Var, Msg string
}

// Problems lists every bad variable found, so an operator fixes them in one go.
type Problems []Problem

func (p Problems) Error() string {
	var b strings.Builder
	b.WriteString("configuration:")
	for _, x := range p {
		b.WriteString("\n  " + x.Var + ": " + x.Msg)
	}
	return b.String()
}

// Join puts the problems of errs (Load's, and a command's own requirements
// such as RequireBot) into one list, each variable once: the first problem
// found for it stays. It returns nil when there is none. An error that is
// not Problems is kept whole, after the list.
func Join(errs ...error) error {
	var p Problems
	var other []error
	seen := map[string]bool{}
	for _, err := range errs {
		var q Problems
		switch {
		case err == nil:
		case errors.As(err, &q):
			for _, x := range q {
				if !seen[x.Var] {
					seen[x.Var] = true
					p = append(p, x)
				}
			}
		default:
			other = append(other, err)
		}
	}
	if len(other) == 0 {
		if len(p) == 0 {
			return nil
		}
		return p
	}
	if len(p) > 0 {
		other = append([]error{p}, other...)
	}
	return errors.Join(other...)
}
