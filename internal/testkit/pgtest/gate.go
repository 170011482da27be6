package pgtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Gate stands between a client and the test server, to play a database that
// is not up yet, or goes away: while closed it hangs up on every connection
// (as a port nobody listens on would refuse it), while open it forwards them.
type Gate struct {
	url     string
	open    atomic.Bool
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
	Refused atomic.Int64 // connections hung up on while closed
}

// NewGate returns a closed gate in front of dbURL's server; Gate.URL is
// dbURL through the gate. It is torn down when the test ends.
func NewGate(tb testing.TB, dbURL string) *Gate {
	tb.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("pgtest: gate: %v", err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("pgtest: gate: %v", err)
	}
	u.Host = ln.Addr().String()
	g := &Gate{url: u.String(), ln: ln}
	g.wg.Add(1)
	go g.serve(target)
	tb.Cleanup(func() {
		ln.Close()
		g.Close()
		g.wg.Wait()
	})
	return g
}

// URL is the database URL through the gate.
func (g *Gate) URL() string { return g.url }

// Open lets connections through from now on.
func (g *Gate) Open() { g.open.Store(true) }

// Close plays the database going away: it cuts every connection through the
// gate and hangs up on new ones until opened again.
func (g *Gate) Close() {
	g.open.Store(false)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.conns {
		c.Close()
	}
	g.conns = nil
}

func (g *Gate) serve(target string) {
	defer g.wg.Done()
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		if !g.open.Load() {
			g.Refused.Add(1)
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		g.mu.Lock()
		g.conns = append(g.conns, c, s)
		g.mu.Unlock()
		g.wg.Add(2)
		go g.pipe(c, s)
		go g.pipe(s, c)
	}
}

func (g *Gate) pipe(dst, src net.Conn) {
	defer g.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}
