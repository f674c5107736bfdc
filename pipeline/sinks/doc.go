// Package sinks holds the result sinks that are not a transport: FileSink
// writes each result kind as a series of Arrow IPC stream or Parquet parts
// that pyarrow, DuckDB or polars read as they are (and ReadFiles reads
// back), SzCORESink writes each session's seizure events as an SzCORE
// annotation file, and Summary keeps the per-session figures a run
// prints at its end. Each implements the pipeline's Sink (Write, Close)
// for the arrowout results; the Kafka and LSL sinks are in
// pipeline/kafka and pipeline/lslout.
package sinks
