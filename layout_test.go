package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/pgkeeper/pgkeeper"

// layers is the allowed direction of imports: a package imports only
// packages of a lower layer. A new package fails TestImportsPointDown until
// it has a line here, on purpose.
var layers = map[string]int{
	"vocab":                    0,
	"internal/humanize":        1,
	"internal/pgversion":       1,
	"internal/redact":          1,
	"internal/seal":            1,
	"internal/backoff":         1,
	"internal/throttle":        1,
	"internal/slots":           1,
	"internal/scratchpg":       1, // a throwaway cluster: the demo's and the test harness's
	"internal/config":          2, // owns the defaults that store and jobs use
	"internal/confirm":         3,
	"store":                    3,
	"remote":                   3, // the S3 SDK's only importer, as store is pgx's
	"jobs":                     4,
	"internal/present/chart":   5,
	"internal/present/metrics": 5,
	"internal/present/render":  6,
	"handlers":                 7,
	"bot":                      8,
	"outbox":                   9,
	"service":                  10,
	"":                         11, // package main: wiring and shell commands
	"bench/backup":             11,
	"bench/cleanup":            11,
	"bench/restore":            11,
	"bench/offsite":            11,
	"bench/peakrss":            10, // the benchmarks' peak RSS of a child
	"bench/status":             11,
	"bench/fleet":              11,
}

// testkits are shared test helpers: imported by tests only.
const testkitDir = "internal/testkit/"

type listed struct {
	ImportPath string
	Dir        string
	Imports    []string
	GoFiles    []string
}

func goList(t *testing.T) []listed {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

// Imports go one way: root → service → outbox → bot → handlers →
// presentation → jobs → store → config → foundations and vocab; test kits are
// for tests.
func TestImportsPointDown(t *testing.T) {
	for _, p := range goList(t) {
		from := rel(p.ImportPath)
		if strings.HasPrefix(from, testkitDir) {
			continue
		}
		level, ok := layers[from]
		if !ok {
			t.Errorf("package %q has no line in layers: decide where it sits", from)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := rel(imp)
			switch lv, known := layers[to]; {
			case strings.HasPrefix(to, testkitDir):
				t.Errorf("%s imports the test kit %s outside its tests", from, to)
			case !known:
				t.Errorf("%s imports %s, which has no line in layers", from, to)
			case lv >= level:
				t.Errorf("%s (layer %d) imports %s (layer %d): imports point down only", orRoot(from), level, to, lv)
			}
		}
	}
}

func orRoot(p string) string {
	if p == "" {
		return "main"
	}
	return p
}

// The root package only wires: no file of it over 150 lines.
func TestRootFilesAreSmall(t *testing.T) {
	for _, p := range goList(t) {
		if p.ImportPath != module {
			continue
		}
		for _, f := range p.GoFiles {
			n := lines(t, filepath.Join(p.Dir, f))
			if n > 150 {
				t.Errorf("%s has %d lines: the root package wires; move the work where it belongs", f, n)
			}
		}
	}
}

func lines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		n++
	}
	return n
}

// The README's "Where things live" names every package directory, and only those.
func TestWhereThingsLiveMatchesTheTree(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## Where things live")
	if !ok {
		t.Fatal(`README.md has no "## Where things live" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	// Each bullet names its packages in backquotes before the dash.
	var documented []string
	for _, line := range strings.Split(section, "\n") {
		lead, _, ok := strings.Cut(line, " — ")
		if !ok || !strings.HasPrefix(lead, "- ") {
			continue
		}
		for _, m := range regexp.MustCompile("`([a-z0-9_/.]+)`").FindAllStringSubmatch(lead, -1) {
			documented = append(documented, m[1])
		}
	}
	var tree []string
	for _, p := range goList(t) {
		d := rel(p.ImportPath)
		if d == "" {
			d = "."
		}
		tree = append(tree, d)
	}
	slices.Sort(documented)
	slices.Sort(tree)
	for _, d := range tree {
		if !slices.Contains(documented, d) {
			t.Errorf("package %s is not in the README's \"Where things live\"", d)
		}
	}
	for _, d := range documented {
		if !slices.Contains(tree, d) {
			t.Errorf("the README's \"Where things live\" names %s, which is no package", d)
		}
	}
}
