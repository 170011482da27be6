package pgversion

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		give    string
		want    Version
		wantErr bool
	}{
		{give: "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)", want: Version{Major: 15, Minor: 18}},
		{give: "pg_dump (PostgreSQL) 18.0", want: Version{Major: 18}},
		{give: "pg_restore (PostgreSQL) 9.6.24", want: Version{Major: 9, Minor: 6, Patch: 24}},
		{give: "16.10", want: Version{Major: 16, Minor: 10}},
		{give: "bash: pg_dump: not found", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := Parse(tt.give)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("Parse(%q) = %v, %v; want %v, err %v", tt.give, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCanHandle(t *testing.T) {
	tests := []struct {
		name         string
		tool, server Version
		want         bool
	}{
		{"same major", Version{Major: 15, Minor: 2}, FromNum(150018), true},
		{"newer client", Version{Major: 18}, FromNum(150018), true},
		{"older client refuses newer server", Version{Major: 16, Minor: 10}, FromNum(180000), false},
		{"9.6 client on 10 server", Version{Major: 9, Minor: 6}, FromNum(100005), false},
		{"10 client on 9.6 server", Version{Major: 10}, FromNum(90624), true},
		{"unknown tool", Version{}, FromNum(150000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tool.CanHandle(tt.server); got != tt.want {
				t.Fatalf("%v.CanHandle(%v) = %v, want %v", tt.tool, tt.server, got, tt.want)
			}
		})
	}
}

func TestFromNumString(t *testing.T) {
	for give, want := range map[int]string{150018: "15.18", 180000: "18.0", 90624: "9.6.24"} {
		if got := FromNum(give).String(); got != want {
			t.Errorf("FromNum(%d) = %s, want %s", give, got, want)
		}
	}
}
