package daemon

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// unitFile is the systemd unit shipped in packaging/ and in the .deb.
const unitFile = "../../packaging/systemd/roomsd.service"

// maxExposure is the most `systemd-analyze security` may score the unit
// (its 0-100 scale; it prints a tenth of it: 2.0 here).
const maxExposure = "20"

// verifyUnit runs `systemd-analyze verify` on unit with ExecStart pointed
// at a binary that exists here, and returns what it said. verify exits 0
// on warnings too (an unknown key, a bad value), so a clean unit is one it
// says nothing about.
func verifyUnit(t *testing.T, unit string) (string, error) {
	t.Helper()
	// The unit's name must end in .service; ExecStart must exist.
	path := filepath.Join(t.TempDir(), "roomsd.service")
	unit = strings.ReplaceAll(unit, "/usr/bin/roomsd", os.Args[0])
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command("systemd-analyze", "verify", path)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func needAnalyze(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed (scripts/bootstrap installs the systemd package): the unit is not verified")
	}
}

func readUnit(t *testing.T) string {
	b, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSystemdUnitVerifies(t *testing.T) {
	needAnalyze(t)
	unit := readUnit(t)
	if out, err := verifyUnit(t, unit); err != nil || out != "" {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", unitFile, err, out)
	}
	// The check is a real one: a typo is caught.
	broken := strings.Replace(unit, "ProtectSystem=strict", "ProtectSystm=strict", 1)
	if out, _ := verifyUnit(t, broken); !strings.Contains(out, "Unknown key 'ProtectSystm'") {
		t.Fatalf("verify missed a misspelt key; it said %q", out)
	}
}

func TestSystemdUnitIsHardened(t *testing.T) {
	needAnalyze(t)
	path := filepath.Join(t.TempDir(), "roomsd.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(readUnit(t), "/usr/bin/roomsd", os.Args[0])), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "security", "--offline=true", "--threshold="+maxExposure, path).CombinedOutput()
	if err != nil {
		i := bytes.Index(out, []byte("Overall exposure"))
		t.Fatalf("systemd-analyze security: %v (threshold %s): %s", err, maxExposure, out[max(i, 0):])
	}
}

// TestSystemdUnitSays holds the settings roomsd's service behaviour rests
// on: readiness, the state directory it reads, and the hardening.
func TestSystemdUnitSays(t *testing.T) {
	unit := readUnit(t)
	lines := map[string]bool{}
	for _, l := range strings.Split(unit, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{
		"Type=notify", "NotifyAccess=main", "ExecStart=/usr/bin/roomsd serve", "StateDirectory=roomsd",
		"DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK", "SystemCallFilter=@system-service",
		"CapabilityBoundingSet=", "WantedBy=multi-user.target",
	} {
		if !lines[want] {
			t.Errorf("%s lacks the line %q", unitFile, want)
		}
	}
}
