// Command ferretdb-lane serves FerretDB's SQLite handler on one address for
// seg-graphql's real-server test lane. It embeds FerretDB as a library because
// the upstream cmd/ferretdb binary panics when built from the module zip
// (build/version/version.txt is not shipped in it).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (loopback only)")
	dir := flag.String("dir", "", "directory for the SQLite files (required)")
	quiet := flag.Bool("quiet", true, "log only warnings and errors")
	flag.Parse()

	if *dir == "" {
		log.Fatal("-dir is required")
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		log.Fatal(err)
	}
	if err = os.MkdirAll(abs, 0o755); err != nil {
		log.Fatal(err)
	}

	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(os.Stderr, "ferretdb-lane listening on %s, data in %s\n", *addr, abs)
	if err = f.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
