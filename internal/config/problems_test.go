package config

import (
	"errors"
	"testing"
)

func TestJoin(t *testing.T) {
	bad := Problems{{Var: "TELEGRAM_BOT_TOKEN", Msg: "*** is not shaped like a bot token"}, {Var: "CLEANUP_MAX_SHARE", Msg: "NaN"}}
	missing := Problems{{Var: "TELEGRAM_BOT_TOKEN", Msg: "required"}, {Var: "TELEGRAM_ADMIN_IDS", Msg: "required"}}
	tests := []struct {
		name string
		give []error
		want Problems
	}{
		{"nothing", []error{nil, nil}, nil},
		{"one list", []error{bad, nil}, bad},
		// A token already found malformed is not also "required".
		{"each variable once, the first problem kept", []error{bad, missing},
			Problems{bad[0], bad[1], missing[1]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Join(tt.give...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("want nil, got %v", err)
				}
				return
			}
			var got Problems
			if !errors.As(err, &got) || len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("problem %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
