// Package vocab is the vocabulary every part of pgkeeper shares: a table's
// name, a job run, how it ended, what started it, and the jobs' names. It
// imports nothing of ours, so store, jobs, render, config and bot can all
// speak it without importing one another.
package vocab
