// Package seal encrypts what leaves the machine to age public keys, and
// opens it again with an identity file. Only public keys need be on the
// server: encrypting needs no secret.
package seal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
)

// Recipients parses age public keys (age1…) and ssh-ed25519 / ssh-rsa
// public keys, one per entry. A bad entry is named by its position, never
// echoed whole: an operator may have pasted a private key by mistake.
func Recipients(keys []string) ([]age.Recipient, error) {
	var out []age.Recipient
	var problems []string
	for i, k := range keys {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		r, err := recipient(k)
		if err != nil {
			problems = append(problems, fmt.Sprintf("entry %d (%s): %v", i+1, describe(k), err))
			continue
		}
		out = append(out, r)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}

func recipient(k string) (age.Recipient, error) {
	switch {
	case strings.HasPrefix(k, "AGE-SECRET-KEY-"):
		return nil, errors.New("this is a private key: give its public key (age-keygen -y FILE), and keep the private key off this server")
	case strings.HasPrefix(k, "age1"):
		r, err := age.ParseX25519Recipient(k)
		if err != nil {
			return nil, errors.New("not a valid age public key")
		}
		return r, nil
	case strings.HasPrefix(k, "ssh-"):
		r, err := agessh.ParseRecipient(k)
		if err != nil {
			return nil, errors.New("not a supported SSH public key (ssh-ed25519 or ssh-rsa)")
		}
		return r, nil
	}
	return nil, errors.New("not an age public key (age1…) or an SSH public key (ssh-ed25519 …)")
}

// describe names a key by its kind and first characters, enough to find it
// in a list without printing it.
func describe(k string) string {
	if strings.HasPrefix(k, "AGE-SECRET-KEY-") {
		return "AGE-SECRET-KEY-…"
	}
	if len(k) > 8 {
		return k[:8] + "…"
	}
	return k
}

// Encrypt returns a writer that encrypts to rs into w; Close finishes the
// stream (and does not close w).
func Encrypt(w io.Writer, rs []age.Recipient) (io.WriteCloser, error) {
	if len(rs) == 0 {
		return nil, errors.New("encrypt: no recipients")
	}
	return age.Encrypt(w, rs...)
}

// ErrIdentityMode means an identity file others can read.
var ErrIdentityMode = errors.New("identity file readable by others")

// LoadIdentities reads an age identity file (age-keygen's output, or an
// OpenSSH private key). A file that group or others may read is refused:
// it holds the key to every backup.
func LoadIdentities(path string) ([]age.Identity, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("identity file %s is not a regular file", path)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is %04o: chmod 600 %s, then try again", ErrIdentityMode, path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	if bytes.Contains(data, []byte("PRIVATE KEY-----")) {
		id, err := agessh.ParseIdentity(data)
		if err != nil {
			return nil, fmt.Errorf("identity file %s: not a usable SSH private key (a passphrase-protected key must be converted first)", path)
		}
		return []age.Identity{id}, nil
	}
	ids, err := age.ParseIdentities(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, fmt.Errorf("identity file %s: no age identity in it (age-keygen -o FILE makes one)", path)
	}
	return ids, nil
}

// Decrypt opens an age stream with ids. A wrong key fails here, before any
// plaintext; damaged ciphertext fails in Read.
func Decrypt(r io.Reader, ids []age.Identity) (io.Reader, error) {
	out, err := age.Decrypt(r, ids...)
	if err != nil {
		var none *age.NoIdentityMatchError
		if errors.As(err, &none) {
			return nil, errors.New("decrypt: the identity file holds none of the keys this copy was encrypted to")
		}
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	return out, nil
}
