// Package kafkatest finds the real Kafka broker that tests run against and
// names per-test topics and groups.
//
// The broker is $NEUROSTREAM_KAFKA (default 127.0.0.1:9092), started with
// `make kafka-up`. Where none answers, a test skips with a message saying
// so, except under CI=true, where .ci/run starts one and its absence fails
// the test.
package kafkatest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

var (
	probeOnce sync.Once
	probeErr  error
	seq       atomic.Int64
)

// Addr returns the configured broker address without checking it.
func Addr() string {
	if a := os.Getenv("NEUROSTREAM_KAFKA"); a != "" {
		return a
	}
	return "127.0.0.1:9092"
}

// Broker returns the broker address after checking, once per test binary,
// that it answers a metadata request.
func Broker(t testing.TB) string {
	t.Helper()
	addr := Addr()
	probeOnce.Do(func() { probeErr = probe(addr) })
	if probeErr != nil {
		msg := fmt.Sprintf("no Kafka broker at %s (%v): start one with `make kafka-up`, or set NEUROSTREAM_KAFKA", addr, probeErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: .ci/run should have started it)")
		}
		t.Skip(msg)
	}
	return addr
}

func probe(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := (&kafkago.Dialer{Timeout: 3 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	_, err = conn.Brokers()
	return err
}

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// Name returns a topic or group name unique to this test run:
// "test.<test name>.<what>.<unique suffix>".
func Name(t testing.TB, what string) string {
	n := unsafe.ReplaceAllString(t.Name(), "_")
	if len(n) > 80 {
		n = n[:80]
	}
	return fmt.Sprintf("test.%s.%s.%d-%d", n, what, time.Now().UnixNano()%1e9, seq.Add(1))
}
