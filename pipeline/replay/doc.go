// Package replay publishes recordings to Kafka as wire chunks, one session
// per recording, at real-time pace or faster, as a live acquisition
// would: what `neurostream replay` runs. Each recording's annotations go to
// an events topic as JSON (Event) when the replay reaches their onset.
//
// ChunkSource is the piece the Kafka benchmarks share: a
// pipeline.RecordingSource that says, for each chunk, which session and
// samples it holds.
package replay
