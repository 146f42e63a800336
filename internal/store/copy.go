package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrTargetNotEmpty means a copy's target database already holds rows.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// copyFirst are the tables copied before the others, in this order:
// the others refer to them.
var copyFirst = []string{"rooms"}

// CopyResult is what a copy moved: rows per table, in the order copied.
type CopyResult struct {
	Tables []string
	Rows   map[string]int64
}

// CopyToPostgres copies every table of the SQLite store src into dst, in
// one transaction: all of it or, on any error, nothing. Every table and
// column the SQLite schema has must exist in dst (a table only SQLite had
// would be lost: refused). dst must hold no rows in any of those tables
// (ErrTargetNotEmpty): the copy never merges, so running it twice is
// refused rather than doubling anything. Identity counters (outbox and
// inbox ids) continue after the highest id SQLite ever gave, so ids a
// client saw (an inbox stream's Last-Event-ID) keep meaning the same row
// and are never given again. Progress, one line per table, goes to
// progress. src is read in one read transaction: a consistent snapshot.
func CopyToPostgres(ctx context.Context, src *SQLite, dst *Postgres, progress io.Writer) (CopyResult, error) {
	res := CopyResult{Rows: map[string]int64{}}
	rtx, err := src.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return res, fmt.Errorf("read %s: %w", src.path, err)
	}
	defer rtx.Rollback() //nolint:errcheck // read only
	tables, err := sqliteTables(ctx, rtx)
	if err != nil {
		return res, err
	}
	err = dst.inTx(ctx, func(tx pgx.Tx) error {
		var full []string
		for _, t := range tables {
			var has bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{t}.Sanitize()+`)`).Scan(&has); err != nil {
				if isUndefinedTable(err) {
					return fmt.Errorf("table %s of the SQLite store has no counterpart in %s (is this roomsd older than the one that wrote the SQLite file?): %w", t, dst.where, err)
				}
				return fmt.Errorf("look into %s: %w", t, err)
			}
			if has {
				full = append(full, t)
			}
		}
		if len(full) > 0 {
			return fmt.Errorf("%w: %s already hold rows; copy into a new, empty database (createdb) so nothing is merged or doubled", ErrTargetNotEmpty, strings.Join(full, ", "))
		}
		for _, t := range tables {
			n, err := copyTable(ctx, rtx, tx, t)
			if err != nil {
				return err
			}
			res.Tables = append(res.Tables, t)
			res.Rows[t] = n
			fmt.Fprintf(progress, "  %-14s %9d rows\n", t, n)
		}
		return resetIdentities(ctx, rtx, tx, tables)
	})
	if err != nil {
		return res, fmt.Errorf("copy %s to %s: %w", src.path, dst.where, err)
	}
	return res, nil
}

// sqliteTables lists the store's tables, the referenced ones first.
func sqliteTables(ctx context.Context, q *sql.Tx) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list the SQLite tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the SQLite tables: %w", err)
	}
	slices.SortStableFunc(names, func(a, b string) int {
		ia, ib := slices.Index(copyFirst, a), slices.Index(copyFirst, b)
		if ia < 0 {
			ia = len(copyFirst)
		}
		if ib < 0 {
			ib = len(copyFirst)
		}
		return ia - ib
	})
	return names, nil
}

// pgColumnTypes are the data types of table's columns in PostgreSQL.
func pgColumnTypes(ctx context.Context, tx pgx.Tx, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	types := map[string]string{}
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			rows.Close()
			return nil, err
		}
		types[c] = t
	}
	rows.Close()
	return types, rows.Err()
}

// copyTable streams one table from SQLite into PostgreSQL with COPY.
func copyTable(ctx context.Context, rtx *sql.Tx, tx pgx.Tx, table string) (int64, error) {
	types, err := pgColumnTypes(ctx, tx, table)
	if err != nil {
		return 0, err
	}
	rows, err := rtx.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", table, err)
	}
	kinds := make([]string, len(cols))
	for i, c := range cols {
		k, ok := types[c]
		if !ok {
			return 0, fmt.Errorf("column %s.%s of the SQLite store has no counterpart in PostgreSQL", table, c)
		}
		kinds[i] = k
	}
	src := &sqliteRows{rows: rows, kinds: kinds, table: table, cols: cols}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
	if err != nil {
		if src.err != nil {
			err = src.err
		}
		return n, fmt.Errorf("copy %s: %w", table, err)
	}
	return n, nil
}

// sqliteRows feeds COPY from an SQLite query, converting each value to
// the PostgreSQL column's type.
type sqliteRows struct {
	rows  *sql.Rows
	kinds []string
	cols  []string
	table string
	vals  []any
	err   error
}

func (r *sqliteRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	raw := make([]any, len(r.kinds))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if r.err = r.rows.Scan(ptrs...); r.err != nil {
		return false
	}
	for i, v := range raw {
		if raw[i], r.err = pgValue(v, r.kinds[i]); r.err != nil {
			r.err = fmt.Errorf("%s.%s: %w", r.table, r.cols[i], r.err)
			return false
		}
	}
	r.vals = raw
	return true
}

func (r *sqliteRows) Values() ([]any, error) { return r.vals, nil }

func (r *sqliteRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// pgValue converts a value read from SQLite for a column of kind.
func pgValue(v any, kind string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch kind {
	case "boolean":
		if n, ok := v.(int64); ok {
			return n != 0, nil
		}
	case "bigint", "integer", "smallint":
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case "text":
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	}
	return nil, fmt.Errorf("a %T value does not fit a %s column", v, kind)
}

// resetIdentities makes each identity column continue after the highest
// id SQLite gave (its AUTOINCREMENT counter, which remembers deleted
// rows too).
func resetIdentities(ctx context.Context, rtx *sql.Tx, tx pgx.Tx, tables []string) error {
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("find identity columns: %w", err)
	}
	type col struct{ table, name string }
	var ids []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.name); err != nil {
			rows.Close()
			return err
		}
		if slices.Contains(tables, c.table) {
			ids = append(ids, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find identity columns: %w", err)
	}
	for _, c := range ids {
		var seq sql.NullInt64
		err := rtx.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, c.table).Scan(&seq)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read the id counter of %s: %w", c.table, err)
		}
		var top int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(`+pgx.Identifier{c.name}.Sanitize()+`), 0) FROM `+pgx.Identifier{c.table}.Sanitize()).Scan(&top); err != nil {
			return fmt.Errorf("read the highest id of %s: %w", c.table, err)
		}
		top = max(top, seq.Int64)
		if top == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), $3)`, c.table, c.name, top); err != nil {
			return fmt.Errorf("continue the ids of %s after %d: %w", c.table, top, err)
		}
	}
	return nil
}

// pgUndefinedTable is PostgreSQL's SQLSTATE for a missing table.
const pgUndefinedTable = "42P01"

func isUndefinedTable(err error) bool {
	var pe interface{ SQLState() string }
	return errors.As(err, &pe) && pe.SQLState() == pgUndefinedTable
}
