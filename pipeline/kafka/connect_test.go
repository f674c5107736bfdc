package kafka_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func newSourceAt(t *testing.T, broker, topic string, connectTimeout time.Duration) *nskafka.Source {
	t.Helper()
	cfg := nskafka.SourceConfig{Topics: []string{topic}, GroupID: kafkatest.Name(t, "group"), Logger: logger(), ConnectTimeout: connectTimeout}
	cfg.Brokers = []string{broker}
	s, err := nskafka.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConnectRetry: with no broker, Connect keeps trying (not ready,
// saying why) until ConnectTimeout, its context or Close ends it, and
// returns promptly then. The broker side (Connect succeeding once a
// broker comes up) is TestOutage/startup.
func TestConnectRetry(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		src := newSourceAt(t, deadAddr(t), "in", time.Second)
		start := time.Now()
		err := src.Connect(context.Background())
		d := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "ConnectTimeout 1s") {
			t.Fatalf("Connect = %v, want a ConnectTimeout error", err)
		}
		if d < time.Second || d > 3*time.Second {
			t.Errorf("Connect returned after %v, want about ConnectTimeout (1 s)", d)
		}
		if ok, why := src.Ready(); ok || !strings.Contains(why, "connecting") {
			t.Errorf("Ready() = %v, %q after a failed Connect", ok, why)
		}
		t.Logf("%v after %v", err, d.Round(time.Millisecond))
	})
	t.Run("cancel", func(t *testing.T) {
		src := newSourceAt(t, deadAddr(t), "in", 0)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- src.Connect(ctx) }()
		select {
		case err := <-errc:
			t.Fatalf("Connect returned %v with no broker and no ConnectTimeout; want it to keep trying", err)
		case <-time.After(1500 * time.Millisecond):
		}
		if ok, why := src.Ready(); ok || !strings.Contains(why, "connecting") || !strings.Contains(why, "refused") {
			t.Errorf("Ready() = %v, %q while connecting; want false, naming the failure", ok, why)
		}
		cancel()
		start := time.Now()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Connect = %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > 200*time.Millisecond {
				t.Errorf("Connect returned %v after the cancel", d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Connect did not return within 5 s of its context's cancel")
		}
		if err := src.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	t.Run("close", func(t *testing.T) {
		src := newSourceAt(t, deadAddr(t), "in", 0)
		errc := make(chan error, 1)
		go func() { errc <- src.Connect(context.Background()) }()
		time.Sleep(300 * time.Millisecond)
		if err := src.Close(context.Background()); err != nil {
			t.Error(err)
		}
		select {
		case err := <-errc:
			if err == nil || !strings.Contains(err.Error(), "closed while connecting") {
				t.Errorf("Connect = %v, want closed while connecting", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Connect did not return within 5 s of Close")
		}
		if ok, why := src.Ready(); ok || why != "closed" {
			t.Errorf("Ready() = %v, %q after Close", ok, why)
		}
	})
	// A missing input topic is a configuration error: not retried.
	t.Run("missing-topic", func(t *testing.T) {
		broker := kafkatest.Broker(t)
		src := newSourceAt(t, broker, kafkatest.Name(t, "nosuchtopic"), 0)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		err := src.Connect(ctx)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("Connect = %v, want a missing-topic error", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("a missing topic took %v to report", d)
		}
		src.Close(ctx)
	})
}
