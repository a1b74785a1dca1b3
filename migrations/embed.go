// Package migrations holds Yitu's schema as goose SQL migrations, embedded in the binary, and runs them.
// The SQL files here are the single source of truth for the database schema.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
