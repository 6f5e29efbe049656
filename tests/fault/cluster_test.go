// Package fault holds fault-injection tests: a database restarted mid-burst and a
// server stopped under load. They run with the rest (go test ./...) from tests/run.
package fault

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// cluster is a throwaway PostgreSQL server in a temporary folder.
type cluster struct {
	bin, dir string
	port     int
	t        *testing.T
}

// newCluster initdbs and starts a PostgreSQL cluster of its own, so the test may
// restart it without disturbing the shared test server.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package (tests/run does)")
	}
	// Newest major version: compare numerically, so 9 sorts before 15.
	slices.SortFunc(bins, func(a, b string) int { return version(a) - version(b) })
	c := &cluster{bin: filepath.Dir(bins[len(bins)-1]), dir: t.TempDir(), port: freePort(t), t: t}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: hand the folder to the postgres user,
		// who must also be able to reach it through the test's private parent.
		if err := os.Chmod(filepath.Dir(c.dir), 0o711); err != nil {
			t.Fatal(err)
		}
		c.run("chown", "-R", "postgres:", c.dir)
	}
	c.pg("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "--no-sync")
	c.pg("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", c.opts(), "start")
	t.Cleanup(func() {
		cmd := c.cmd("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
		_ = cmd.Run()
	})
	return c
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *cluster) opts() string {
	return fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=100", c.port, c.dir)
}

// URL is the cluster's admin connection.
func (c *cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// restart stops the server with fast shutdown (open sessions are terminated,
// in-flight transactions roll back) and starts it again.
func (c *cluster) restart() {
	c.pg("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-m", "fast", "-o", c.opts(), "restart")
}

func (c *cluster) cmd(tool string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, tool)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *cluster) pg(tool string, args ...string) {
	c.t.Helper()
	if out, err := c.cmd(tool, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("%s %v: %v\n%s\nserver log:\n%s", tool, args, err, out, log)
	}
}

func (c *cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// freePort asks the kernel for a port nobody is listening on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
