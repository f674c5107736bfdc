// Package kafka connects the pipeline to Apache Kafka: a consumer-group
// Source of wire chunks that commits only what the pipeline finished, Arrow
// result and dead-letter sinks, a chunk producer, and topic administration.
//
// Delivery is at least once. The Source hands each record to the runtime
// with an AckFunc and commits, per partition, only the contiguous prefix of
// records acknowledged without error (committed offset = 1 + the highest
// offset o such that every record up to o was acknowledged), batched every
// CommitInterval and on Close. A record acknowledged with an error, or
// never acknowledged, is re-read by whoever owns its partition next. The
// consumer-group generation is the messages' Epoch, so the runtime rebuilds
// a session's state after a rebalance. Sinks write synchronously with
// acks=all by default, so a record is acknowledged only after the results
// it produced are durable in Kafka.
//
// Topics and headers are described in docs/operations.md. Every config
// struct follows kafka-go's style: exported fields, zero means the default
// named at the end of each field's comment, Validate names the field.
package kafka

import "github.com/neurostream/neurostream/pipeline"

// Result message headers (ResultSink).
const (
	// HeaderIdempotencyKey is "session/kind/window": a window processed
	// twice (after a crash or rebalance) carries the same key, so a
	// consumer can drop duplicates.
	HeaderIdempotencyKey = "neurostream-idempotency-key"
	// HeaderKind is the result kind ("psd", "bandpower", …).
	HeaderKind = "neurostream-kind"
	// HeaderWindow is the window index, decimal.
	HeaderWindow = "neurostream-window"
	// HeaderPart is "i/n" on the n parts of a result too large for one
	// record, split by rows (part i of n, from 1); their idempotency keys
	// end in "/part-i/n". Absent on a result sent whole.
	HeaderPart = "neurostream-part"
)

// Dead-letter message headers (DeadLetterSink).
const (
	// HeaderReason is the machine-readable cause: a wire.Reason value
	// ("decode", "channel_set", "sample_rate", "gap", "duplicate",
	// "out_of_order", "non_finite", "start_time") or "session".
	HeaderReason = "neurostream-reason"
	// HeaderError is the full error text, naming session, chunk and what
	// was expected.
	HeaderError = "neurostream-error"
	// HeaderOrigin names the input message ("kafka eeg/3@1204").
	HeaderOrigin = "neurostream-origin"
	// HeaderSourceTopic, HeaderSourcePartition and HeaderSourceOffset
	// locate the input record (decimal numbers); absent when the input did
	// not come from Kafka.
	HeaderSourceTopic     = "neurostream-source-topic"
	HeaderSourcePartition = "neurostream-source-partition"
	HeaderSourceOffset    = "neurostream-source-offset"
	// HeaderTruncated is on a dead letter whose value was cut to fit a
	// record: the original value's size in bytes, decimal. The value
	// holds its first bytes.
	HeaderTruncated = "neurostream-truncated"
	// HeaderStage names the stage that failed (reason stage_error); the
	// window it failed on is in HeaderWindow.
	HeaderStage = "neurostream-stage"
	// HeaderTime is when the record was dead-lettered, RFC 3339 UTC with
	// nanoseconds.
	HeaderTime = "neurostream-time"
)

var (
	_ pipeline.Source         = (*Source)(nil)
	_ pipeline.Sink           = (*ResultSink)(nil)
	_ pipeline.DeadLetterSink = (*DeadLetterSink)(nil)
)
