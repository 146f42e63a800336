// Package pgtest starts a private PostgreSQL cluster for tests: initdb into
// a temporary directory, a server listening only on a unix socket there,
// and a migrated template database each test copies. One cluster serves a
// whole test binary (start it in TestMain); each test gets its own
// database, so tests stay independent and fast.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rooms-dev/rooms/internal/store"
)

// BinDirEnv overrides where the PostgreSQL server binaries are.
const BinDirEnv = "ROOMS_PG_BIN"

// defaultBinDir is where Debian's postgresql package (scripts/bootstrap)
// puts them.
const defaultBinDir = "/usr/lib/postgresql/15/bin"

// runAs is the user the server runs as when the tests run as root:
// PostgreSQL refuses to run as root.
const runAs = "postgres"

// superuser is the cluster's superuser, trusted on the private socket.
const superuser = "rooms"

// template is the database each test copies, already migrated.
const template = "rooms_template"

// ErrNoPostgres means the PostgreSQL binaries are not installed.
var ErrNoPostgres = errors.New("PostgreSQL server binaries not found")

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	dir   string // socket directory; data is in dir/data
	bin   string
	asUID string // "" when not switching user
	next  atomic.Int64
}

// Start initializes and starts a cluster and makes the template database.
// It returns an error wrapping ErrNoPostgres when PostgreSQL is missing.
func Start(ctx context.Context) (*Cluster, error) {
	bin := os.Getenv(BinDirEnv)
	if bin == "" {
		bin = defaultBinDir
	}
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		return nil, fmt.Errorf("%w in %s (install Debian's postgresql, scripts/bootstrap does, or set %s): %v",
			ErrNoPostgres, bin, BinDirEnv, err)
	}
	sweep(ctx, bin)
	// Under /tmp, short: a unix socket path is limited to about 100 bytes.
	dir, err := os.MkdirTemp("/tmp", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c := &Cluster{dir: dir, bin: bin}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup(runAs)
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("%w: running as root needs the %s user to run the server: %v", ErrNoPostgres, runAs, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start postgres: chown %s: %w", dir, err)
		}
		c.asUID = u.Username
	}
	if err := c.start(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	data := filepath.Join(c.dir, "data")
	if out, err := c.run(ctx, "initdb", "-D", data, "-A", "trust", "-U", superuser,
		"--no-sync", "--locale=C", "--encoding=UTF8"); err != nil {
		return fmt.Errorf("start postgres: initdb: %w\n%s", err, out)
	}
	// Only the socket, no TCP; durability off: a test cluster is thrown away.
	opts := "-k " + c.dir + " -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	if out, err := c.run(ctx, "pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("start postgres: pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	if err := c.exec(ctx, "postgres", "CREATE DATABASE "+template); err != nil {
		return err
	}
	s, err := store.OpenPostgres(ctx, c.URL(template), store.Options{})
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	return s.Close()
}

// dirPrefix names the clusters' directories in /tmp; ownerFile in each
// holds the pid of the test binary that started it.
const (
	dirPrefix = "rooms-pg-"
	ownerFile = "owner.pid"
)

// sweep stops and removes the clusters of test binaries that died without
// stopping theirs (a test timeout kills the binary before Stop runs), so a
// killed run does not leave servers behind for good.
func sweep(ctx context.Context, bin string) {
	dirs, _ := filepath.Glob(filepath.Join("/tmp", dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) == nil {
			continue // still running, or not ours to judge
		}
		c := &Cluster{dir: dir, bin: bin}
		if fi, err := os.Stat(dir); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != uint32(os.Geteuid()) {
				if u, err := user.LookupId(strconv.Itoa(int(st.Uid))); err == nil {
					c.asUID = u.Username
				}
			}
		}
		_ = c.Stop()
	}
}

// run runs a server binary, as the postgres user when we are root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.asUID != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.asUID, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// URL is the connection URL of database db in this cluster.
func (c *Cluster) URL(db string) string {
	return "postgres://" + superuser + "@/" + db + "?host=" + c.dir
}

func (c *Cluster) exec(ctx context.Context, db, sql string) error {
	conn, err := pgx.Connect(ctx, c.URL(db))
	if err != nil {
		return fmt.Errorf("connect to test postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("test postgres: %s: %w", sql, err)
	}
	return nil
}

// NewDatabase makes a fresh, migrated database for one test and returns
// its URL. It is dropped when the test ends.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "t" + strconv.FormatInt(c.next.Add(1), 10)
	if err := c.exec(ctx, "postgres", "CREATE DATABASE "+name+" TEMPLATE "+template); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.exec(ctx, "postgres", "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return c.URL(name)
}

// Stop stops the server at once and removes its directory; safe on a
// cluster that failed to start.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var err error
	data := filepath.Join(c.dir, "data")
	if _, statErr := os.Stat(filepath.Join(data, "postmaster.pid")); statErr == nil {
		if out, e := c.run(ctx, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); e != nil {
			err = fmt.Errorf("stop postgres: %w\n%s", e, strings.TrimSpace(string(out)))
		}
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// Main runs a test binary's tests with a cluster in *shared, stopping it
// after; when PostgreSQL is missing *shared stays nil and the reason is in
// *why, for Need to skip with. Call it from TestMain.
func Main(m *testing.M, shared **Cluster, why *error) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	c, err := Start(ctx)
	cancel()
	if err != nil {
		if !errors.Is(err, ErrNoPostgres) {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 1
		}
		*why = err
		return m.Run()
	}
	*shared = c
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Need skips t when c is nil (PostgreSQL is not installed), saying why.
func Need(t testing.TB, c *Cluster, why error) {
	t.Helper()
	if c == nil {
		t.Skipf("skipping the PostgreSQL tests: %v", why)
	}
}
