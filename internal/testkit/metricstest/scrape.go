// Package metricstest reads pgkeeper's HTTP endpoints in tests: a GET that
// fails the test on transport errors, and one sample of a Prometheus page.
package metricstest

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
)

// Get fetches url and returns its status code and body.
func Get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// Sample is the value of the line for series (name and labels, exactly as
// exposed) in a Prometheus text page; false when there is none.
func Sample(page, series string) (float64, bool) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(page)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}
