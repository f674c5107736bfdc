//go:build unix

package kafkatest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SecureBroker is a single-node broker of a test's own with every
// listener of a secured cluster: deploy/kafka/up.sh with
// NEUROSTREAM_KAFKA_SECURE=1, in a temporary folder, on free ports,
// killed when the test ends. Its certificates are generated at start
// (deploy/kafka/certs) and its SCRAM credentials made by the broker's own
// kafka-storage tool.
type SecureBroker struct {
	// Plaintext is the PLAINTEXT listener (no security), for test set-up
	// and checks; SASLSSL takes TLS then SASL PLAIN, SCRAM-SHA-256 or
	// SCRAM-SHA-512; MTLS takes TLS with a client certificate of the CA;
	// Expired serves a certificate that expired yesterday.
	Plaintext, SASLSSL, MTLS, Expired string
	// Dir holds ca.pem, client.pem, client-key.pem, expired-client.pem,
	// expired-client-key.pem, untrusted-ca.pem, untrusted-client.pem,
	// untrusted-client-key.pem, username and password
	// (deploy/kafka/certs).
	Dir string
	// Username and Password are the SASL user's.
	Username, Password string

	run string
}

// File is the path of a file of Dir.
func (b *SecureBroker) File(name string) string { return filepath.Join(b.Dir, name) }

// StartSecureBroker starts a SecureBroker for t, about 10 s. Without
// bash, java, go and the Kafka jars (or mvn to fetch them) the test
// skips, except under CI=true, where it fails.
func StartSecureBroker(t testing.TB) *SecureBroker {
	t.Helper()
	cache := RequireBrokerTools(t, "the security tests start a SASL_SSL Kafka broker of their own")
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	port := freePorts(t, 5)
	host := "127.0.0.1"
	addr := func(p int) string { return net.JoinHostPort(host, strconv.Itoa(p)) }
	run, err := os.MkdirTemp("", "neurostream-secure-broker-")
	if err != nil {
		t.Fatal(err)
	}
	b := &SecureBroker{
		Plaintext: addr(port), SASLSSL: addr(port + 2), MTLS: addr(port + 3), Expired: addr(port + 4),
		Dir: filepath.Join(run, "secure"), run: run,
	}
	t.Cleanup(func() {
		b.kill()
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(run, "kafka.log")); err == nil {
				lines := strings.Split(strings.TrimSpace(string(log)), "\n")
				t.Logf("secure broker log, last lines:\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
			}
		}
		os.RemoveAll(run)
	})
	cmd := exec.Command("bash", filepath.Join(root, "deploy", "kafka", "up.sh"))
	cmd.Env = append(os.Environ(), "NEUROSTREAM_KAFKA="+b.Plaintext, "NEUROSTREAM_KAFKA_RUN="+run, "NEUROSTREAM_KAFKA_SECURE=1",
		"NEUROSTREAM_CACHE="+cache, "KAFKA_HEAP_OPTS=-Xms128m -Xmx512m", "KAFKA_WAIT_TIMEOUT=120")
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("starting the secure broker: %v\n%s", err, out)
	}
	t.Logf("secure broker started in %.1f s:\n%s", time.Since(t0).Seconds(), bytes.TrimSpace(out))
	user, err1 := os.ReadFile(b.File("username"))
	pw, err2 := os.ReadFile(b.File("password"))
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	b.Username, b.Password = strings.TrimSpace(string(user)), strings.TrimSpace(string(pw))
	return b
}

// kill ends the broker at once (SIGKILL: its data is thrown away) and
// waits until it has exited.
func (b *SecureBroker) kill() {
	raw, err := os.ReadFile(filepath.Join(b.run, "kafka.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return
	}
	// Only this folder's broker: a pid reused by another process is left
	// alone.
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if !bytes.Contains(cmdline, []byte(filepath.Join(b.run, "server.properties"))) {
		return
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				return // exited; its parent reaps it
			}
		}
	}
}

// freePorts returns the first port p of n consecutive free ports p … p+n−1,
// from 19150 up in steps of 100 (clear of the outage tests' 19092 + 100k
// pairs).
func freePorts(t testing.TB, n int) int {
	t.Helper()
	free := func(port int) bool {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return false
		}
		ln.Close()
		return true
	}
next:
	for base := 19150; base < 29150; base += 100 {
		for p := base; p < base+n; p++ {
			if !free(p) {
				continue next
			}
		}
		return base
	}
	t.Fatalf("no %d free consecutive ports between 19150 and 29150", n)
	return 0
}

// repoRoot is the folder of the module's go.mod, searched upwards from
// the working directory (a test runs in its package's folder).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "deploy", "kafka", "up.sh")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("kafkatest: no deploy/kafka/up.sh above the working directory")
		}
		dir = parent
	}
}

// RequireBrokerTools checks what starting a broker of a test's own with
// deploy/kafka/up.sh needs: bash, java and go in PATH, and the Kafka jars
// in the cache (or mvn to fetch them). Without them the test skips, with
// why in the message, except under CI=true, where it fails. It returns
// the cache folder (NEUROSTREAM_CACHE).
func RequireBrokerTools(t testing.TB, why string) (cache string) {
	t.Helper()
	need := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + ": " + why + " from the jars deploy/kafka/up.sh fetches (make kafka-up does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: required)")
		}
		t.Skip(msg)
	}
	for _, tool := range []string{"bash", "java", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			need("no %s in PATH", tool)
		}
	}
	cache = os.Getenv("NEUROSTREAM_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			need("no home folder for the jar cache: %v", err)
		}
		cache = filepath.Join(home, ".cache", "neurostream")
	}
	jars := filepath.Join(cache, "kafka", "jars")
	if _, err := os.Stat(filepath.Join(jars, ".stamp")); err != nil {
		if _, err := exec.LookPath("mvn"); err != nil {
			need("no Kafka jars in %s and no mvn to fetch them", jars)
		}
	}
	return cache
}
