package vocab

import "testing"

func TestTrigger(t *testing.T) {
	tests := []struct {
		name     string
		give     Trigger
		want     string
		wantKind string
	}{
		{"schedule", TriggerSchedule, "schedule", "schedule"},
		{"shell", TriggerShell, "shell", "shell"},
		{"chat without a sender", TriggerChat, "chat", "chat"},
		{"chat user with a username", ChatUser(1, "ann"), "@ann (1)", "chat"},
		{"chat user without one", ChatUser(42, ""), "user 42", "chat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.give) != tt.want || tt.give.Kind() != tt.wantKind {
				t.Errorf("%q (kind %q), want %q (kind %q)", tt.give, tt.give.Kind(), tt.want, tt.wantKind)
			}
		})
	}
}
