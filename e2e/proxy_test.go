//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBehindNginx: docs/deploy.md's nginx server block (testdata/nginx)
// in front of roomsd on a lab host standing for the public one: from
// another host, `rooms create` and two `rooms join` go through nginx
// (REST, and the signalling WebSocket's upgrade), media straight to
// roomsd's media port, and the viewer decodes the publisher's video.
// roomsd counts the clients by the address nginx forwards for them
// (--trusted-proxy).
func TestBehindNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("needs nginx (scripts/bootstrap installs it)")
	}
	lab := newLab(t)
	pub, outside := lab.Host("public"), lab.Host("outside")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	dir := t.TempDir()
	block, err := os.ReadFile("testdata/nginx/rooms.conf")
	if err != nil {
		t.Fatal(err)
	}
	server := strings.NewReplacer("LISTEN", pub.IP+":80", "ROOMSD", pub.IP+":7880").Replace(string(block))
	conf := "pid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log;\nevents {}\nhttp {\n" +
		"access_log " + dir + "/access.log;\n" +
		"client_body_temp_path " + dir + "/body;\nproxy_temp_path " + dir + "/proxy;\n" +
		server + "\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", pub.NS, nginx, "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	if out, err := exec.Command("ip", "netns", "exec", pub.NS, nginx, "-t", "-c", filepath.Join(dir, "nginx.conf")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	const token = "nginx-create-token-0123456789abcdef"
	url := "http://" + pub.IP
	_, srvLog := pub.Start(ctx, "roomsd", nil, "serve", "--listen", pub.IP+":7880", "--public-url", url, "--udp-port", "7882",
		"--trusted-proxy", pub.IP, "--data-dir", filepath.Join(lab.dir, "data"), "--create-token", token, "--log-level", "debug")
	env := []string{"ROOMS_SERVER=" + url, "ROOMS_CREATE_TOKEN=" + token}
	var room struct{ ID, Link string }
	for i := 0; ; i++ {
		out, err := outside.Run(ctx, "rooms", env, "create", "--json", "--max", "3")
		if err == nil && json.Unmarshal(out, &room) == nil && room.ID != "" {
			break
		}
		if i == 100 {
			t.Fatalf("rooms create through nginx: %v\n%s\nroomsd:\n%s", err, out, snapshot(srvLog))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.HasPrefix(room.Link, url+"/r/") {
		t.Fatalf("the room's link is %q, want it under %s", room.Link, url)
	}
	outside.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", "pub", "--video", "testsrc", "--simulcast=false", "--duration", "15s")
	_, viewer := outside.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", "viewer", "--duration", "15s")
	firstFrame := regexp.MustCompile(`"kind":"video".*"name":"pub","pattern_ok":true.*"type":"first_frame"`)
	waitForOutput(t, ctx, "the viewer decodes the publisher's video through nginx's signalling", viewer, func(b []byte) bool { return firstFrame.Match(b) })
	// nginx logs a WebSocket when it closes: once both joins are over.
	upgrade := "GET /r/" + room.ID + " HTTP/1.1\" 101"
	for {
		access, _ := os.ReadFile(filepath.Join(dir, "access.log"))
		if strings.Count(string(access), upgrade) >= 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("nginx's access log shows fewer than 2 WebSocket upgrades (101) on /r/%s:\n%s", room.ID, access)
		case <-time.After(200 * time.Millisecond):
		}
	}
	if log := string(snapshot(srvLog)); !strings.Contains(log, outside.IP) {
		t.Fatalf("roomsd never saw the client's address %s (forwarded by nginx):\n%s", outside.IP, log)
	}
	t.Logf("through nginx: created, joined (101 upgrades in nginx's log), video decoded")
}
