package config

import (
	"fmt"
	"strings"
)

// String shows every setting for logs and debugging, each secret (the
// token, the DSN, passwords, secret keys, session tokens) as ***.
func (c Config) String() string {
	type plain Config // without this method, so Sprintf does not recurse
	p := plain(c)
	p.secrets, p.discovered = nil, nil
	s := fmt.Sprintf("%+v", p)
	for _, secret := range c.Secrets() {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

// GoString masks the secrets in %#v too.
func (c Config) GoString() string { return c.String() }
