// Command kafkaprobe times single acks=all produce requests to the
// partitions of a new topic, a round every interval, and prints each
// round's times per partition: it shows what the broker itself costs a
// result write, apart from the pipeline (docs/benchmarks.md, "Latency").
//
//	go run ./tools/bench/kafkaprobe --brokers 127.0.0.1:9092 --partitions 4 --bytes 10000 --rounds 12 --interval 250ms
//
// The topic is deleted at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	partitions := flag.Int("partitions", 4, "partitions of the probe topic")
	size := flag.Int("bytes", 10000, "record value size in bytes")
	rounds := flag.Int("rounds", 12, "rounds, one record to each partition per round")
	interval := flag.Duration("interval", 250*time.Millisecond, "pause between rounds")
	flag.Parse()
	if err := run(strings.Split(*brokers, ","), *partitions, *size, *rounds, *interval); err != nil {
		log.Fatal(err)
	}
}

func run(brokers []string, partitions, size, rounds int, interval time.Duration) error {
	ctx := context.Background()
	tr := &kafkago.Transport{}
	defer tr.CloseIdleConnections()
	cl := &kafkago.Client{Addr: kafkago.TCP(brokers...), Transport: tr, Timeout: 10 * time.Second}
	topic := fmt.Sprintf("neurostream.kafkaprobe.%d", time.Now().UnixNano())
	res, err := cl.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}}})
	if err != nil {
		return err
	}
	if err := res.Errors[topic]; err != nil {
		return err
	}
	defer cl.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: []string{topic}})
	time.Sleep(2 * time.Second) // leaders elected, metadata propagated
	val := make([]byte, size)
	fmt.Printf("acks=all produce request, ms per partition (%d partitions, %d-byte records, one round every %v)\n", partitions, size, interval)
	for r := range rounds {
		line := fmt.Sprintf("round %2d:", r)
		for p := range partitions {
			t0 := time.Now()
			res, err := cl.Produce(ctx, &kafkago.ProduceRequest{Topic: topic, Partition: p, RequiredAcks: kafkago.RequireAll,
				Records: kafkago.NewRecordReader(kafkago.Record{Value: kafkago.NewBytes(val)})})
			if err == nil {
				err = res.Error
			}
			if err != nil {
				return fmt.Errorf("round %d, partition %d: %w", r, p, err)
			}
			line += fmt.Sprintf(" %5.1f", float64(time.Since(t0))/1e6)
		}
		fmt.Println(line)
		time.Sleep(interval)
	}
	return nil
}
