// Command wait blocks until a Kafka broker answers real requests: a
// metadata request that lists at least one broker and a controller, and a
// FindCoordinator request for a consumer group (which also makes the
// broker create its offsets topic, so the first test's group joins fast).
// deploy/kafka/up.sh runs it after starting the broker.
//
//	go run ./deploy/kafka/wait -addr 127.0.0.1:9092 -timeout 90s -pid 1234
//
// With -pid, it fails at once when that process has exited.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9092", "broker address host:port")
	timeout := flag.Duration("timeout", 90*time.Second, "give up after this long")
	pid := flag.Int("pid", 0, "fail when this process exits (0: do not watch)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	var last error
	for {
		if *pid > 0 && !alive(*pid) {
			fmt.Fprintf(os.Stderr, "kafka-wait: broker process %d exited\n", *pid)
			os.Exit(1)
		}
		last = probe(ctx, *addr)
		if last == nil {
			fmt.Printf("kafka-wait: broker %s ready after %s\n", *addr, time.Since(start).Round(10*time.Millisecond))
			return
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "kafka-wait: broker %s not ready after %s: %v\n", *addr, *timeout, last)
			os.Exit(1)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// alive reports whether process pid runs. A zombie (exited, not yet
// reaped by its parent) does not: a broker that died while starting would
// otherwise be waited for until the timeout.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs: trust kill
	}
	// "pid (comm) state ...": comm may hold spaces and parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func probe(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 5 * time.Second}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	if len(md.Brokers) == 0 || md.Controller.ID < 0 {
		return errors.New("metadata: no broker or no controller yet")
	}
	fc, err := c.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: "neurostream-kafka-wait", KeyType: kafka.CoordinatorKeyTypeConsumer})
	if err != nil {
		return fmt.Errorf("find coordinator: %w", err)
	}
	if fc.Error != nil {
		return fmt.Errorf("find coordinator: %w", fc.Error)
	}
	return nil
}
