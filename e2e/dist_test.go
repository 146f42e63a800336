//go:build e2e

package e2e

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDist runs `make dist` with a release version and checks what a
// newcomer downloads: every archive and .deb named for the version, the
// sums right, roomsd static for amd64 and arm64, rooms needing exactly the
// libraries its README lists, both binaries naming the build, and the
// .debs holding the binaries, the unit and their dependencies.
func TestDist(t *testing.T) {
	for _, tool := range []string{"make", "readelf", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: make dist is not checked", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dist := t.TempDir()
	const v = "v0.0.0-e2e"
	run(t, ctx, "make", "-C", "..", "--no-print-directory", "dist", "VERSION="+v, "DIST="+dist)

	var names []string
	entries, err := os.ReadDir(dist)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{
		"SHA256SUMS",
		"rooms_0.0.0+e2e_amd64.deb",
		"rooms_" + v + "_linux_amd64.tar.gz",
		"roomsd_0.0.0+e2e_amd64.deb",
		"roomsd_0.0.0+e2e_arm64.deb",
		"roomsd_" + v + "_linux_amd64.tar.gz",
		"roomsd_" + v + "_linux_arm64.tar.gz",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("dist holds %v, want %v", names, want)
	}

	// SHA256SUMS names every other file, with its sum.
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	summed := 0
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		b, err := os.ReadFile(filepath.Join(dist, name))
		if !ok || err != nil {
			t.Fatalf("SHA256SUMS line %q: %v", line, err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sum %x, SHA256SUMS says %s", name, got, sum)
		}
		summed++
	}
	if summed != len(want)-1 {
		t.Errorf("SHA256SUMS sums %d files, want %d", summed, len(want)-1)
	}

	bins := t.TempDir()
	for _, tc := range []struct {
		archive, binary string
		machine         elf.Machine
	}{
		{"roomsd_" + v + "_linux_amd64", "roomsd", elf.EM_X86_64},
		{"roomsd_" + v + "_linux_arm64", "roomsd", elf.EM_AARCH64},
		{"rooms_" + v + "_linux_amd64", "rooms", elf.EM_X86_64},
	} {
		files := untarGz(t, filepath.Join(dist, tc.archive+".tar.gz"), filepath.Join(bins, tc.archive))
		bin := filepath.Join(bins, tc.archive, tc.archive, tc.binary)
		if !slices.Contains(files, tc.archive+"/README.md") || !slices.Contains(files, tc.archive+"/"+tc.binary) {
			t.Fatalf("%s holds %v, want %s and README.md in %s/", tc.archive, files, tc.binary, tc.archive)
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		libs, _ := f.ImportedLibraries()
		f.Close()
		if f.Machine != tc.machine {
			t.Errorf("%s is for %v, want %v", tc.archive, f.Machine, tc.machine)
		}
		switch tc.binary {
		case "roomsd":
			if len(libs) != 0 || !slices.Contains(files, tc.archive+"/roomsd.service") {
				t.Errorf("%s: roomsd needs %v (want none: static) and the archive holds %v (want the unit)", tc.archive, libs, files)
			}
		case "rooms":
			readme, err := os.ReadFile(filepath.Join(bins, tc.archive, tc.archive, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			documented := regexp.MustCompile(`(?m)^\| (lib\S+\.so\S*) `).FindAllStringSubmatch(string(readme), -1)
			var listed []string
			for _, m := range documented {
				listed = append(listed, m[1])
			}
			slices.Sort(libs)
			slices.Sort(listed)
			if !slices.Equal(libs, listed) {
				t.Errorf("rooms needs %v, its README lists %v", libs, listed)
			}
		}
		if tc.machine == elf.EM_X86_64 {
			out := run(t, ctx, bin, "--version")
			commit := strings.TrimSpace(run(t, ctx, "git", "rev-parse", "--short=12", "HEAD"))
			if !strings.HasPrefix(out, tc.binary+" "+v+" (commit "+commit+", built ") {
				t.Errorf("%s --version = %q, want %s %s and commit %s", tc.binary, out, tc.binary, v, commit)
			}
		}
	}

	for _, tc := range []struct {
		deb, arch string
		holds     []string
		depends   string
	}{
		{"roomsd_0.0.0+e2e_amd64.deb", "amd64", []string{"./usr/bin/roomsd", "./usr/lib/systemd/system/roomsd.service", "./etc/default/roomsd"}, ""},
		{"roomsd_0.0.0+e2e_arm64.deb", "arm64", []string{"./usr/bin/roomsd", "./usr/lib/systemd/system/roomsd.service"}, ""},
		{"rooms_0.0.0+e2e_amd64.deb", "amd64", []string{"./usr/bin/rooms"}, "libvpx7"},
	} {
		path := filepath.Join(dist, tc.deb)
		fields := run(t, ctx, "dpkg-deb", "-f", path, "Version", "Architecture", "Depends")
		if !strings.Contains(fields, "Version: 0.0.0+e2e\n") || !strings.Contains(fields, "Architecture: "+tc.arch+"\n") || !strings.Contains(fields, tc.depends) {
			t.Errorf("%s control: %q", tc.deb, fields)
		}
		contents := run(t, ctx, "dpkg-deb", "--contents", path)
		for _, h := range tc.holds {
			if !strings.Contains(contents, " "+h+"\n") {
				t.Errorf("%s lacks %s:\n%s", tc.deb, h, contents)
			}
		}
	}
}

// untarGz unpacks a .tar.gz into dir and returns the names it held.
func untarGz(t *testing.T, path, dir string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		names = append(names, strings.TrimSuffix(h.Name, "/"))
		target := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, b, os.FileMode(h.Mode)&0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
}
