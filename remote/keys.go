package remote

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkKey refuses a key that could name something outside the prefix, or
// that stores and tools would read differently: empty, "." or ".."
// segments (a leading or doubled "/" makes an empty one), control
// characters, invalid UTF-8.
func checkKey(key string) error {
	if key == "" {
		return errors.New("empty")
	}
	if !utf8.ValidString(key) {
		return errors.New("not UTF-8")
	}
	if strings.IndexFunc(key, unicode.IsControl) >= 0 {
		return errors.New("control character")
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return errors.New(`empty segment (leading, trailing or doubled "/")`)
		case ".", "..":
			return errors.New(`"` + seg + `" segment`)
		}
	}
	return nil
}

// full is key under the prefix, or an *Error for op.
func (b *Bucket) full(op, key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", &Error{Remote: b.name, Op: op, Key: key, Kind: ErrBadKey, Reason: "bad key: " + err.Error()}
	}
	if b.prefix == "" {
		return key, nil
	}
	return b.prefix + "/" + key, nil
}

// fullPrefix is a listing prefix under the configured one: "" or a key,
// optionally ending in "/".
func (b *Bucket) fullPrefix(op, prefix string) (string, error) {
	if prefix != "" {
		if err := checkKey(strings.TrimSuffix(prefix, "/")); err != nil {
			return "", &Error{Remote: b.name, Op: op, Key: prefix, Kind: ErrBadKey, Reason: "bad prefix: " + err.Error()}
		}
	}
	if b.prefix == "" {
		return prefix, nil
	}
	return b.prefix + "/" + prefix, nil
}

// rel is a full key without the configured prefix.
func (b *Bucket) rel(full string) string {
	if b.prefix == "" {
		return full
	}
	return strings.TrimPrefix(full, b.prefix+"/")
}
