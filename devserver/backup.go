package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hello-cron/cronsource/devserver/temporalite"
)

// newBackupCommand is `devserver backup`: a consistent copy of the database, made while a
// devserver runs on it or not. It takes no lock and changes nothing in the database.
func newBackupCommand(stdout io.Writer) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Copy the database, consistently, while a devserver may be running on it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkBackupFlags(from, to); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return fmt.Errorf("invalid --to %s: %w", to, err)
			}
			if err := temporalite.Backup(cmd.Context(), from, to); err != nil {
				return fmt.Errorf("back up %s to %s: %w", from, to, err)
			}
			fmt.Fprintf(stdout, "devserver backup: %s copied to %s\n", from, to)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "db-filename", ".data/temporal.db", "SQLite file of the devserver to back up")
	cmd.Flags().StringVar(&to, "to", "", "new file to write the copy to (required; an existing file is never replaced); missing folders are created")
	return cmd
}

// checkBackupFlags fails, naming the flag, unless from is a set-up database and to is free.
func checkBackupFlags(from, to string) error {
	if to == "" {
		return errors.New("invalid --to: required, the new file to write the copy to")
	}
	info, err := os.Stat(from)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("invalid --db-filename %s: no such file", from)
	case err != nil:
		return fmt.Errorf("invalid --db-filename %s: %w", from, err)
	case !info.Mode().IsRegular():
		return fmt.Errorf("invalid --db-filename %s: not a file", from)
	case info.Size() == 0:
		return fmt.Errorf("invalid --db-filename %s: empty, a devserver has not set it up yet", from)
	}
	switch _, err := os.Lstat(to); {
	case err == nil:
		return fmt.Errorf("invalid --to %s: the file exists; a backup never replaces a file, so name a new one", to)
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("invalid --to %s: %w", to, err)
	}
	return nil
}
