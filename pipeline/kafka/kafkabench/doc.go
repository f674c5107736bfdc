// Package kafkabench measures the pipeline end to end through a real
// Kafka broker: what `neurostream bench latency` and `neurostream bench
// throughput` run. One harness serves both modes: it creates fresh topics,
// runs in this process the pipeline `neurostream run` builds for a Kafka
// source → psd → Kafka result sink configuration, publishes simulated
// sessions with the replay's ChunkSource and kafka.ChunkWriter, and reads
// the result topics with a downstream consumer (Consumer). The modes
// differ in what they time:
//
//   - Latency publishes at a pace while the pipeline runs and times each
//     window from the chunk that completes it being handed to the producer
//     to the last of its result records reaching the consumer.
//   - Throughput publishes everything first and times the backlog, from
//     the pipeline's first input record to the last result record.
//
// docs/benchmarks.md ("Kafka") describes the method and has figures.
package kafkabench
