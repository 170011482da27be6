package config

import "strings"

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
