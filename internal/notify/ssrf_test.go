package notify

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		raw          string
		allowPrivate bool
		wantErr      string // "" = accepted; otherwise a substring of the message
	}{
		{"https://example.com", false, ""},
		{"https://example.com/hooks/rooms?token=abc", false, ""},
		{"HTTPS://Example.COM:8443/x", false, ""},
		{"http://203.0.113.7:8080/hook", false, ""},
		{"http://[2001:db8::1]/hook", false, ""},
		{"http://[::ffff:8.8.8.8]/", false, ""},
		{"http://172.32.0.1/", false, ""},  // just outside 172.16/12
		{"http://100.128.0.1/", false, ""}, // just outside 100.64/10
		{"http://127.0.0.1:8080/hook", true, ""},
		{"http://[::1]/", true, ""},
		{"http://localhost:9000/", true, ""},
		{"http://10.0.0.1/", true, ""},

		{"", false, "empty"},
		{"ftp://example.com/x", false, `scheme "ftp" is not supported`},
		{"javascript:alert(1)", false, "not supported"},
		{"example.com/hook", false, "no scheme"},
		{"http://", false, "no host"},
		{"https:///path", false, "no host"},
		{"http:example.com", false, "no host"},
		{"https://user:pass@example.com/", false, "user name or password"},
		{"https://user@example.com/", true, "user name or password"},
		{"http://example.com:0/", false, "not a valid port"},
		{"http://example.com:99999/", false, "not a valid port"},
		{"http://exa mple.com/", false, "cannot be parsed"},
		{"http://127.0.0.1/", false, "--webhook-allow-private"},
		{"http://127.0.0.1/", false, "loopback"},
		{"http://127.8.9.10/", false, "loopback"},
		{"http://[::1]/", false, "loopback"},
		{"http://10.0.0.1/", false, "points to a private network; roomsd refuses those unless started with --webhook-allow-private"},
		{"http://172.16.5.4/", false, "private network"},
		{"http://192.168.1.1/", false, "private network"},
		{"http://[fd00::1]/", false, "private network"},
		{"http://169.254.169.254/latest/meta-data/", false, "link-local"},
		{"http://[fe80::1%25eth0]/", false, "link-local"},
		{"http://[::ffff:127.0.0.1]/", false, "loopback"},
		{"http://[::ffff:10.1.2.3]/", false, "private network"},
		{"http://100.64.1.1/", false, "carrier-grade NAT"},
		{"http://0.0.0.0/", false, "unspecified"},
		{"http://[::]/", false, "unspecified"},
		{"http://224.0.0.1/", false, "multicast"},
		{"http://localhost/", false, "loopback"},
		{"http://api.LOCALHOST./", false, "loopback"},
		{"http://2130706433/", false, "non-standard form"},
		{"http://0x7f000001/", false, "non-standard form"},
		{"http://127.1/", false, "non-standard form"},
		{"http://127.0.0.1./", false, "non-standard form"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			err := CheckURL(tt.raw, tt.allowPrivate)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckURL(%q, %v) = %v, want nil", tt.raw, tt.allowPrivate, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckURL(%q, %v) = nil, want error containing %q", tt.raw, tt.allowPrivate, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckURL(%q) = %q, want it to contain %q", tt.raw, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "pass@") || strings.Contains(err.Error(), "meta-data") {
				t.Errorf("CheckURL(%q) = %q repeats parts of the URL beyond the host", tt.raw, err)
			}
		})
	}
}

func TestSSRFForbiddenNetwork(t *testing.T) {
	tests := []struct {
		addr      string
		forbidden bool
	}{
		{"8.8.8.8", false},
		{"203.0.113.7", false},
		{"172.15.255.255", false},
		{"172.32.0.0", false},
		{"100.63.255.255", false},
		{"100.128.0.0", false},
		{"2001:4860:4860::8888", false},
		{"::ffff:8.8.8.8", false},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},
		{"10.255.0.1", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.0.1", true},
		{"fc00::1", true},
		{"fdff:ffff::1", true},
		{"169.254.169.254", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"::", true},
		{"224.0.0.251", true},
		{"239.255.255.250", true},
		{"255.255.255.255", true},
		{"ff02::1", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:192.168.1.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:100.64.0.1", true},
		{"::127.0.0.1", true}, // IPv4-compatible
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got := ssrfForbiddenNetwork(netip.MustParseAddr(tt.addr))
			if (got != "") != tt.forbidden {
				t.Errorf("ssrfForbiddenNetwork(%s) = %q, want forbidden=%v", tt.addr, got, tt.forbidden)
			}
		})
	}
}

func TestSSRFControl(t *testing.T) {
	tests := []struct {
		network, address string
		wantBlocked      bool // a *ssrfBlockedError
		wantErr          bool
	}{
		{"tcp4", "93.184.216.34:443", false, false},
		{"tcp6", "[2606:2800:220:1:248:1893:25c8:1946]:443", false, false},
		{"tcp4", "127.0.0.1:80", true, true},
		{"tcp6", "[::1]:80", true, true},
		{"tcp6", "[::ffff:10.0.0.1]:80", true, true},
		{"tcp6", "[fe80::1%lo]:80", true, true},
		{"tcp4", "169.254.169.254:80", true, true},
		{"tcp", "not-an-address", false, true}, // fail closed
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := ssrfControl(tt.network, tt.address, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ssrfControl(%s) = %v, want error=%v", tt.address, err, tt.wantErr)
			}
			var blocked *ssrfBlockedError
			if errors.As(err, &blocked) != tt.wantBlocked {
				t.Fatalf("ssrfControl(%s) = %v, want blocked=%v", tt.address, err, tt.wantBlocked)
			}
			if tt.wantBlocked && !strings.Contains(err.Error(), "--webhook-allow-private") {
				t.Errorf("error %q does not say how to allow private targets", err)
			}
		})
	}
}
