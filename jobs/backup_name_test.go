package jobs

import (
	"strings"
	"testing"
	"time"
)

func TestFileStemIsABareNameThatReadsBack(t *testing.T) {
	tests := []struct {
		give, want string
	}{
		{"whatsapp", "whatsapp"},
		{"baileys_prod-2", "baileys_prod-2"},
		{"../esc", "%2E%2E%2Fesc"},
		{"My DB", "%4Dy%20%44%42"},
		{".", "%2E"},
		{"100%", "100%25"},
		{"ключи", "%D0%BA%D0%BB%D1%8E%D1%87%D0%B8"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got := fileStem(tt.give)
			if got != tt.want || strings.ContainsAny(got, "/. ") {
				t.Fatalf("fileStem(%q) = %q, want %q", tt.give, got, tt.want)
			}
			back, err := databaseOfStem(got)
			if err != nil || back != tt.give {
				t.Fatalf("read back %q as %q (%v)", got, back, err)
			}
			name := backupName(tt.give, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			if base, suffix, tmp, ok := ownFilesOf(tt.give).parse(name + dumpSuffix + tmpSuffix); !ok || base != name || suffix != dumpSuffix || !tmp {
				t.Fatalf("%s is not recognised as %q's own", name, tt.give)
			}
		})
	}
	// One database's pattern never matches another's files.
	if _, _, _, ok := ownFilesOf("a").parse(backupName("a-b", time.Now()) + dumpSuffix); ok {
		t.Error("database a claims a-b's dump")
	}
	if _, _, _, ok := ownFilesOf("A").parse(backupName("%41", time.Now()) + dumpSuffix); ok {
		t.Error("database A claims %41's dump")
	}
}
