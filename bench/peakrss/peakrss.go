// Package peakrss measures the peak resident memory of a benchmark's child process.
package peakrss

import (
	"bytes"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// Watch follows a child's VmHWM until it exits. The rusage of wait4
// cannot be used: Go starts children sharing this process's memory until
// exec, and Linux carries that high-water mark (this process's, which holds
// the S3 server's objects) into the child's ru_maxrss.
func Watch(pid int) (peak func() int64) {
	var hwm atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		path := "/proc/" + strconv.Itoa(pid) + "/status"
		for {
			if v := readHWM(path); v > hwm.Load() {
				hwm.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return hwm.Load()
	}
}

func readHWM(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := bytes.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
