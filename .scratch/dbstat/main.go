package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "modernc.org/sqlite"
)

func main() {
	db, err := sql.Open("sqlite", "file:"+os.Args[1]+"?mode=ro")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	for _, p := range []string{"page_size", "page_count", "freelist_count", "auto_vacuum", "journal_mode"} {
		var v string
		if err := db.QueryRow("PRAGMA " + p).Scan(&v); err != nil {
			fmt.Println(p, "error", err)
			continue
		}
		fmt.Println(p, v)
	}
	for _, q := range []string{"SELECT count(*) FROM executions", "SELECT count(*) FROM history_node", "SELECT count(*) FROM executions_visibility"} {
		var n int64
		if err := db.QueryRow(q).Scan(&n); err != nil {
			fmt.Println(q, "error", err)
			continue
		}
		fmt.Println(q, n)
	}
}
