package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/pgkeeper/pgkeeper/internal/config"
)

// requireHTTPAddr is what health needs beyond every command's configuration:
// the address serve answers on (main checks it with the rest).
func requireHTTPAddr(c config.Config) error {
	if c.HTTPAddr != "" {
		return nil
	}
	return config.Problems{{Var: "HTTP_ADDR", Msg: "required by pgkeeper health: not set, so serve has no /healthz to ask"}}
}

// health asks a running `pgkeeper serve` for /healthz on HTTP_ADDR, for the
// container's health check: the image has no curl or wget. Exit 0 when it
// answers 200, 1 otherwise, 2 when HTTP_ADDR is not set.
func health(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return misused("takes no arguments, got %q", args)
	}
	url := "http://" + localAddr(a.cfg.HTTPAddr) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return failed(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return failed(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return failed(fmt.Errorf("%s answered %s", url, resp.Status))
	}
	fmt.Fprintln(a.stdout, "ok")
	return nil
}

// localAddr is where this machine reaches a server listening on addr: a
// listener on every interface (":9187", "0.0.0.0:9187") answers on loopback.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}
