package main

import "testing"

func TestLocalAddr(t *testing.T) {
	tests := []struct{ give, want string }{
		{":9187", "127.0.0.1:9187"},
		{"0.0.0.0:9187", "127.0.0.1:9187"},
		{"[::]:9187", "[::1]:9187"},
		{"10.0.0.5:9187", "10.0.0.5:9187"},
		{"localhost:9187", "localhost:9187"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			if got := localAddr(tt.give); got != tt.want {
				t.Errorf("localAddr(%q) = %q, want %q", tt.give, got, tt.want)
			}
		})
	}
}
