// Package kafkatest finds the real Kafka broker that tests run against and
// names per-test topics and groups.
//
// The broker is $NEUROSTREAM_KAFKA (default 127.0.0.1:9092), started with
// `make kafka-up`. Where none answers, a developer's run falls back to an
// in-process broker (franz-go's kfake, on 127.0.0.1) so the consumer-group,
// offset and sink code is still exercised; tests that need what only a real
// broker does (restarts, SASL, the CLI's processes) ask for RealBroker and
// skip. Under CI=true, where .ci/run starts a real broker, its absence
// fails the test: CI never settles for the in-process one.
package kafkatest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/goleak"
)

var (
	probeOnce sync.Once
	probeErr  error
	seq       atomic.Int64
	probeDone atomic.Bool
)

// Addr returns the configured broker address without checking it.
func Addr() string {
	if a := os.Getenv("NEUROSTREAM_KAFKA"); a != "" {
		return a
	}
	return "127.0.0.1:9092"
}

// RealBroker returns the real broker's address after checking, once per
// test binary, that it answers a metadata request; without one it skips
// (fails under CI=true).
func RealBroker(t testing.TB) string {
	t.Helper()
	addr := Addr()
	probeOnce.Do(func() { probeErr = probe(addr); probeDone.Store(true) })
	if probeErr != nil {
		msg := fmt.Sprintf("no Kafka broker at %s (%v): start one with `make kafka-up`, or set NEUROSTREAM_KAFKA", addr, probeErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: .ci/run should have started it)")
		}
		t.Skip(msg)
	}
	return addr
}

// Broker returns the real broker's address, or, on a developer's machine
// without one, the address of an in-process kfake broker shared by the
// test binary.
func Broker(t testing.TB) string {
	t.Helper()
	addr := Addr()
	probeOnce.Do(func() { probeErr = probe(addr); probeDone.Store(true) })
	if probeErr == nil {
		return addr
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Kafka broker at %s (%v) (CI=true: .ci/run should have started it)", addr, probeErr)
	}
	fakeOnce.Do(func() {
		fake, fakeErr = kfake.NewCluster(kfake.NumBrokers(1))
		if fakeErr == nil {
			fmt.Fprintf(os.Stderr, "kafkatest: no Kafka broker at %s (%v); using an in-process kfake broker at %s (`make kafka-up` for the real one)\n", addr, probeErr, fake.ListenAddrs()[0])
		}
	})
	if fakeErr != nil {
		t.Skipf("no Kafka broker at %s (%v), and the in-process one failed: %v", addr, probeErr, fakeErr)
	}
	return fake.ListenAddrs()[0]
}

var (
	fakeOnce sync.Once
	fake     *kfake.Cluster
	fakeErr  error
)

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
// "test.<test name>.<what>.<unique suffix>". When the test ends, every
// topic whose name starts with it is deleted (a result prefix's topics
// too): the broker keeps its data across restarts, and a developer's
// broker that collected every test's partitions (over 10,000 after a few
// runs) spent its CPU and heap on them, which showed as latency in the
// benchmarks.
func Name(t testing.TB, what string) string {
	n := unsafe.ReplaceAllString(t.Name(), "_")
	if len(n) > 80 {
		n = n[:80]
	}
	name := fmt.Sprintf("test.%s.%s.%d-%d", n, what, time.Now().UnixNano()%1e9, seq.Add(1))
	t.Cleanup(func() {
		if err := deleteTopics(name); err != nil {
			t.Logf("kafkatest: deleting the topics named %s*: %v", name, err)
		}
	})
	return name
}

// deleteTopics deletes the topic prefix and the topics named prefix.* on the
// broker the tests used, if any.
func deleteTopics(prefix string) error {
	var addr string
	switch {
	case probeErr == nil && probeDone.Load():
		addr = Addr()
	case fake != nil:
		addr = fake.ListenAddrs()[0]
	default:
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections() // goleak looks for its goroutines
	cl := &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 10 * time.Second, Transport: tr}
	md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{})
	if err != nil {
		return err
	}
	var del []string
	for _, tp := range md.Topics {
		if tp.Name == prefix || strings.HasPrefix(tp.Name, prefix+".") {
			del = append(del, tp.Name)
		}
	}
	if len(del) == 0 {
		return nil
	}
	res, err := cl.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: del})
	if err != nil {
		return err
	}
	for topic, err := range res.Errors {
		if err != nil && !errors.Is(err, kafkago.UnknownTopicOrPartition) {
			return fmt.Errorf("%s: %w", topic, err)
		}
	}
	return nil
}

// Close stops the in-process broker, if one was started; TestMain calls it
// before looking for leaked goroutines.
func Close() {
	if fake != nil {
		fake.Close()
	}
}

// Main is the TestMain of a package whose tests use the broker: it runs
// the tests, stops the in-process broker (Close), and then, where the
// tests passed, fails the test binary if a goroutine outlived them, as
// goleak.VerifyTestMain does (which would look before Close and find the
// in-process broker's goroutines).
func Main(m *testing.M) {
	code := m.Run()
	Close()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
