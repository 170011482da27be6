package render

import "testing"

// The database heads the message, escaped.
func TestForDatabase(t *testing.T) {
	for _, tt := range []struct{ name, msg, want string }{
		{"crm", "<b>Backup failed</b>", "🗄 <code>crm</code>\n<b>Backup failed</b>"},
		{"a<b", "x", "🗄 <code>a&lt;b</code>\nx"},
	} {
		if got := ForDatabase(tt.name, tt.msg); got != tt.want {
			t.Errorf("ForDatabase(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
