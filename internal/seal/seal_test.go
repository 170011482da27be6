package seal_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/pgkeeper/pgkeeper/internal/seal"
)

func TestRoundTripAndRefusals(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	rs, err := seal.Recipients([]string{id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, 300_000)
	rand.Read(plain)
	var ct bytes.Buffer
	w, err := seal.Encrypt(&ct, rs)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct.Bytes(), plain[:64]) {
		t.Fatal("ciphertext carries the plaintext")
	}

	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	good := write("good", id.String()+"\n", 0o600)
	ids, err := seal.LoadIdentities(good)
	if err != nil {
		t.Fatal(err)
	}
	r, err := seal.Decrypt(bytes.NewReader(ct.Bytes()), ids)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %v, %d bytes", err, len(got))
	}

	if _, err := seal.LoadIdentities(write("open", id.String()+"\n", 0o644)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a 0644 identity: %v", err)
	}
	wrong := write("wrong", other.String()+"\n", 0o600)
	wids, _ := seal.LoadIdentities(wrong)
	if _, err := seal.Decrypt(bytes.NewReader(ct.Bytes()), wids); err == nil || !strings.Contains(err.Error(), "none of the keys") {
		t.Errorf("the wrong identity: %v", err)
	}
	bad := ct.Bytes()
	bad[len(bad)-100] ^= 1
	r, err = seal.Decrypt(bytes.NewReader(bad), ids)
	if err == nil {
		_, err = io.ReadAll(r)
	}
	if err == nil {
		t.Error("damaged ciphertext decrypted")
	}
}

func TestRecipientsNameBadEntriesWithoutEchoingThem(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	cases := []struct {
		name  string
		keys  []string
		want  string
		count int
	}{
		{"one age key", []string{id.Recipient().String()}, "", 1},
		{"ssh-ed25519", []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN"}, "", 1},
		{"a private key", []string{id.String()}, "private key", 0},
		{"garbage", []string{"hello"}, "entry 1", 0},
		{"a broken age key", []string{"age1qqqq"}, "not a valid age public key", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, err := seal.Recipients(c.keys)
			if c.want == "" {
				if err != nil || len(rs) != c.count {
					t.Fatalf("%v, %d recipients", err, len(rs))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), c.keys[0][min(len(c.keys[0]), 10):]) && len(c.keys[0]) > 10 {
				t.Errorf("the key is echoed: %v", err)
			}
		})
	}
}
