package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// selection is which databases a command runs on (#14): --db NAME one of
// them, --all every one; neither: the only one, or, with several, status's
// overview and a refusal for the others.
type selection struct {
	db  string // lower-case
	all bool
}

// allCommands take --all; status takes it too, as its overview.
var allCommands = []string{"backup", "restore-test", "cleanup", "backups", "status"}

// pickSelection takes --db NAME (--db=NAME) and --all out of a command's
// arguments, before anything connects; the rest are the command's own.
func pickSelection(cmd string, args []string) (selection, []string, error) {
	var sel selection
	var rest []string
	dbs := 0
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || args[i] == "--" {
			rest = append(rest, args[i])
			continue
		}
		switch name {
		case "db":
			if !hasValue {
				if i+1 >= len(args) || strings.HasPrefix(args[i+1], "-") {
					return sel, nil, misusedShowUsage(errors.New("--db needs the database's name (--db NAME)"))
				}
				i++
				value = args[i]
			}
			sel.db, dbs = strings.ToLower(value), dbs+1
		case "all":
			if hasValue {
				return sel, nil, misusedShowUsage(errors.New("--all takes no value"))
			}
			sel.all = true
		default:
			rest = append(rest, args[i])
		}
	}
	switch {
	case dbs > 1:
		return sel, nil, misusedShowUsage(errors.New("--db is given once: run the command once per database, or use --all"))
	case dbs == 1 && sel.db == "":
		return sel, nil, misusedShowUsage(errors.New("--db needs the database's name (--db NAME)"))
	case sel.db != "" && sel.all:
		return sel, nil, misusedShowUsage(errors.New("--db NAME or --all, not both"))
	case sel.all && !slices.Contains(allCommands, cmd):
		return sel, nil, misusedShowUsage(fmt.Errorf("--all is for backup, restore-test, cleanup and backups; "+
			"name the database for %s with --db NAME", cmd))
	case sel.all && cmd == "restore-test" && hasFlag(rest, "backup"):
		return sel, nil, misused("--backup names one database's backup: use it with --db NAME, not --all")
	case sel.all && cmd == "cleanup" && hasFlag(rest, "undo"):
		return sel, nil, misused("--undo puts one database's cleanup back: use it with --db NAME, not --all")
	}
	return sel, rest, nil
}

// hasFlag reports whether args hold flag name, in any of its spellings.
func hasFlag(args []string, name string) bool {
	return slices.ContainsFunc(args, func(a string) bool {
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		return strings.HasPrefix(a, "-") && n == name
	})
}
