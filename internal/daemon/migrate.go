package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/store"
)

func newCmdMigrate(stdout io.Writer) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "migrate --from sqlite:PATH --to postgres://...",
		Short: "Copy an SQLite store into an empty PostgreSQL database",
		Long: `Copy everything roomsd keeps in an SQLite file (rooms, bans, members, handles,
invitees, room webhooks, the notification outbox and inboxes, used nonces) into a
PostgreSQL database, to move a roomsd to PostgreSQL or to run several nodes on it.

Stop roomsd first: the copy takes the SQLite file's lock, as roomsd does, and is
refused while a roomsd uses it. The target must be a new, empty database (createdb):
a copy never merges, so running it twice is refused rather than doubling anything.
Everything is copied in one transaction: on any error the target is left empty, and
the SQLite file is never changed (except that it is brought up to this roomsd's
schema first, as roomsd serve would). Ids continue after the SQLite file's, so the
clients' inbox streams resume where they were. Then start roomsd with the URL:

    roomsd serve --db postgres://...`,
		Example: `  # the default data directory's store, into a new database
  createdb -h db.example.com -U rooms rooms
  roomsd migrate --from sqlite:$HOME/.local/state/roomsd/rooms.db \
    --to 'postgres://rooms:PASSWORD@db.example.com:5432/rooms'

  # a Debian package's store (systemctl stop roomsd first)
  roomsd migrate --from sqlite:/var/lib/roomsd/rooms.db --to postgres://rooms@/rooms?host=/run/postgresql`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return migrate(cmd.Context(), from, to, stdout)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the SQLite store to copy: sqlite:PATH (the rooms.db in roomsd's data directory)")
	cmd.Flags().StringVar(&to, "to", "", "the empty PostgreSQL database to copy into: postgres://user:password@host:5432/db")
	return cmd
}

// migrate copies the SQLite store at from into the PostgreSQL database to.
func migrate(ctx context.Context, from, to string, out io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	path, err := sqlitePath(from)
	if err != nil {
		return err
	}
	if to == "" {
		return errors.New("--to is missing: name the empty PostgreSQL database to copy into, --to postgres://user:password@host:5432/db")
	}
	if !store.IsPostgresURL(to) {
		return fmt.Errorf("--to %s is not a PostgreSQL URL: give postgres://user:password@host:5432/db", store.RedactURL(to))
	}
	if err := store.CheckPostgresURL(to); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("--from: no SQLite store at %s (%w); give the rooms.db in roomsd's data directory", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("--from: %s is a directory; give the rooms.db file in it", path)
	}
	src, err := store.OpenSQLite(ctx, path, store.Options{})
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := store.OpenPostgres(ctx, to, store.Options{})
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()
	start := time.Now()
	fmt.Fprintf(out, "Copying %s to %s:\n", path, store.RedactURL(to))
	res, err := store.CopyToPostgres(ctx, src, dst, out)
	if err != nil {
		return err
	}
	var total int64
	for _, n := range res.Rows {
		total += n
	}
	fmt.Fprintf(out, "Copied %d rows in %d tables in %s. Start roomsd with --db %s\n",
		total, len(res.Tables), time.Since(start).Round(time.Millisecond), store.RedactURL(to))
	return nil
}

// sqlitePath is the file of a --from: sqlite:PATH, or a plain path.
func sqlitePath(from string) (string, error) {
	switch {
	case from == "":
		return "", errors.New("--from is missing: name the SQLite store to copy, --from sqlite:PATH (the rooms.db in roomsd's data directory)")
	case store.IsPostgresURL(from):
		return "", errors.New("--from is a PostgreSQL URL: migrate copies from an SQLite store, --from sqlite:PATH")
	}
	path := strings.TrimPrefix(strings.TrimPrefix(from, "sqlite://"), "sqlite:")
	if path == "" {
		return "", errors.New("--from sqlite: names no file: give --from sqlite:PATH")
	}
	return path, nil
}
