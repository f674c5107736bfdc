// Package pipeline is the stage-graph runtime: sources of wire chunks
// (RecordingSource streams recordings and simulations; package kafka reads
// topics), per-session decoding, validation, preprocessing and windowing,
// analysis stages, and sinks for results and dead letters
// (DeadLetterFile), with Prometheus metrics (Metrics) and keyed
// pseudonyms for session ids (Pseudonyms).
//
// Data flow for one message: Source.Read → wire decode → per-session
// validation (bad chunks go to the dead-letter sink, the run goes on) →
// the session's preprocessing steps (Preprocessor: filters, reference,
// resampling) → the session's sample buffer → every complete window on the session's
// sample clock (window k covers samples [k·hop, k·hop+length)) → each
// stage → results to the sinks → acknowledgements. A message is
// acknowledged only when no unfinished window still needs its samples, so
// a source that commits on acknowledgement (Kafka) never commits data
// that a crash would lose. Sessions are spread over workers by a hash of
// the session id; one worker owns a session's state, so stages need no
// locks and one session's windows come out in order.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// ErrEndOfInput is returned by Source.Read when a finite source is done.
var ErrEndOfInput = errors.New("pipeline: end of input")

// Message is one input record: a wire-encoded chunk and where it came from.
type Message struct {
	// Key is the session id (the Kafka message key).
	Key string
	// Value is one wire chunk (an Arrow IPC stream).
	Value []byte
	// Origin names the message for errors and dead letters, e.g.
	// "file recordings/s01.edf chunk 12" or "kafka eeg/3@1204".
	Origin string
	// Time is when the source produced or received the message.
	Time time.Time
	// Topic, Partition and Offset locate a Kafka message (dead letters
	// name them); zero for other sources.
	Topic     string
	Partition int
	Offset    int64
	// Epoch changes when the source's ownership of the message's input
	// changes: for Kafka, the consumer-group generation from which this
	// process has owned the partition without interruption (a partition
	// kept across a rebalance keeps its epoch). A session's state belongs
	// to one epoch: a message of another drops it, and the session is
	// rebuilt from that message on, as after a restart.
	Epoch int64
}

// Owner is implemented by sources whose input moves between processes
// (Kafka partitions in a consumer group). Owned reports whether messages
// of topic/partition under epoch still belong to this process; the
// runtime then keeps the sessions of partitions that stay across a
// rebalance, and drops, without ending them, those of partitions that
// moved away. A source without it has one epoch at a time: a message of a
// newer epoch drops every session of the older ones.
type Owner interface {
	Owned(topic string, partition int, epoch int64) bool
}

// AckFunc reports that a message was fully handled (err == nil) or could
// not be (err != nil: the source must not treat it as done).
type AckFunc func(err error)

// Source yields messages. Read blocks until a message is available, the
// context ends, or the source is exhausted (ErrEndOfInput).
type Source interface {
	Connect(ctx context.Context) error
	Read(ctx context.Context) (Message, AckFunc, error)
	Close(ctx context.Context) error
}

// Sink receives results. A nil error from Write means the results are
// handed over; the messages behind them may then be acknowledged.
type Sink interface {
	Write(ctx context.Context, results []arrowout.Result) error
	Close() error
}

// AsyncSink is a Sink that hands results over without waiting until they
// are durable. WriteAsync returns once it no longer needs the records (it
// has encoded them), so the caller may release them; done is called once,
// from any goroutine, when the results are durable (nil) or cannot be
// (non-nil: the run stops). An error returned by WriteAsync itself means
// nothing was handed over and done is never called. Results of one session
// become durable in the order they were handed over. The runtime holds the
// acknowledgement of every message whose windows' results are in flight
// until done, so a committing source commits nothing not yet durable.
type AsyncSink interface {
	Sink
	WriteAsync(ctx context.Context, results []arrowout.Result, done func(error)) error
}

// RejectedError is returned by a sink for results that can never be
// written (larger than the destination accepts): the runtime dead-letters
// the message behind them with reason ReasonResultRejected, naming the
// kind, window and size, and goes on, instead of stopping on every
// restart at the same window.
type RejectedError struct {
	Kind   arrowout.Kind
	Window int64
	// Size is the encoded size in bytes, Limit what the sink accepts.
	Size, Limit int64
	Err         error
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s window %d: %d bytes, over the limit of %d: %v", e.Kind, e.Window, e.Size, e.Limit, e.Err)
}

func (e *RejectedError) Unwrap() error { return e.Err }

// DeadLetter is a message the pipeline could not use, with the reason.
type DeadLetter struct {
	Message Message
	// Reason is a short machine-readable cause: a wire.Reason value, or
	// one of the runtime's (ReasonSessionStart, ReasonPreprocess,
	// ReasonStageError, ReasonLimit; docs/operations.md lists them all).
	Reason string
	// Err is the full error, naming the session, chunk and expectation.
	Err error
	// Stage and Window name the stage that failed and the window it
	// failed on, for ReasonStageError; "" and 0 otherwise.
	Stage  string
	Window int64
}

// Dead-letter reasons the runtime adds to wire.Reason's.
const (
	// ReasonSessionStart: the session's first chunk does not fit the
	// pipeline (a window or filter impossible at its rate, a stim channel
	// missing, a stage refusing its channels); the chunk is set aside and
	// the next one tries again.
	ReasonSessionStart = "session_start"
	// ReasonPreprocess: a preprocessing step failed on the chunk.
	ReasonPreprocess = "preprocess"
	// ReasonStageError: a stage failed on a window; the window's other
	// stages' results are written, the failing one's are lost, and the
	// chunk that completed the window is dead-lettered with the stage
	// and window named.
	ReasonStageError = "stage_error"
	// ReasonLimit: the chunk is over a limit: the decoder's (wire.Limits:
	// message bytes, channels, rows, sample rate) or the runtime's (a
	// sample index past MaxSample).
	ReasonLimit = string(wire.ReasonLimit)
	// ReasonResultRejected: a sink refused a result for good
	// (RejectedError), e.g. a record over the broker's message size
	// that cannot be split.
	ReasonResultRejected = "result_rejected"
)

// DeadLetterSink receives messages that failed to decode or validate.
type DeadLetterSink interface {
	DeadLetter(ctx context.Context, d DeadLetter) error
	Close() error
}

// AsyncDeadLetterSink is a DeadLetterSink that hands a dead letter over
// without waiting until it is durable, so a flood of bad messages does not
// hold up the healthy sessions of the same worker. done is called once,
// from any goroutine; an error returned by DeadLetterAsync means nothing
// was handed over and done is never called. The message behind a dead
// letter is acknowledged only in done.
type AsyncDeadLetterSink interface {
	DeadLetterSink
	DeadLetterAsync(ctx context.Context, d DeadLetter, done func(error)) error
}

// SessionInfo describes a session to a stage when its first chunk arrives.
type SessionInfo struct {
	Session    string
	SampleRate float64
	Channels   []formats.Channel
	// StartTimeNS is the unix time in ns of the session's sample 0.
	StartTimeNS int64
	// WindowLength is the session's window length in samples.
	WindowLength int64
}

// Window is one analysis window of one session, handed to stages.
type Window struct {
	arrowout.WindowKey
	SampleRate float64
	Channels   []formats.Channel
	// Data[c] holds channel c's samples of the window in SI units. It
	// aliases the session buffer: valid only during Process, read-only.
	Data [][]float64
	// Event is the stimulus event the window is locked to, with event
	// windows (Options.Events); nil for sliding windows.
	Event *Event
	// RunStart is the first sample of the run of samples without a gap
	// that holds the window: the session's first sample, or the first
	// after its latest gap. Windows of a session with the same RunStart
	// hold the same value at the same sample index, so a stage may keep
	// what it computed from a range of samples for later windows (the psd
	// and coherence stages keep their Welch segments' transforms) as long
	// as RunStart does not change.
	RunStart int64
}

// Event is a stimulus event read from a session's stim channel.
type Event struct {
	// Sample is the onset on the session clock: the first sample whose
	// stim value rose to Code.
	Sample int64
	// Code is the stim value at the onset, rounded to an integer.
	Code int
}

// Stage is one analysis step run on every window of one session. A stage
// instance belongs to one session and is never called concurrently. A
// stage whose results depend on windows before (a smoother, an open
// event) implements Checkpointer, so a session resumed elsewhere
// (Options.State) continues exactly.
type Stage interface {
	// Process returns the window's results; the records are released by
	// the runtime after the sinks wrote them.
	Process(w *Window) ([]arrowout.Result, error)
}

// Finisher is implemented by stages that hold results back across
// windows (a seizure event waiting out its merge gap). When a session ends
// (a final chunk, the idle timeout, or the end of a finite input), Finish
// is called once, after its last window, with end.StartSample one past the
// session's last sample and end.Window the index the next window would
// have had; the results are written like a window's, before the session's
// session_end row.
type Finisher interface {
	Finish(end arrowout.WindowKey) ([]arrowout.Result, error)
}

// StageBuilder makes a session's instance of a stage when the session's
// first chunk arrives, so plans can be sized for its rate and channels.
type StageBuilder interface {
	// Name is the stage's configured name, used in errors and metrics.
	Name() string
	NewSession(s SessionInfo) (Stage, error)
}

// Preprocessor transforms a session's continuous signal before windowing:
// filters, notch, re-referencing, resampling. Unlike a Stage it sees every
// sample once, in order, so IIR state carries across chunks.
type Preprocessor interface {
	Name() string
	// NewSession returns the session's instance and the session as the
	// next step sees it (a resampler changes SampleRate).
	NewSession(s SessionInfo) (Preprocess, SessionInfo, error)
}

// Preprocess is one session's instance of a Preprocessor. One that keeps
// signal history (filters, resamplers) implements Checkpointer too;
// otherwise its sessions are not checkpointed (Options.State).
type Preprocess interface {
	// Process transforms the chunk x whose first sample is first on the
	// input clock, and returns the output and the index of its first
	// sample on the output clock. It may modify x and return it; the
	// output is valid until the next call.
	Process(x [][]float64, first int64) (out [][]float64, outFirst int64, err error)
	// Reset forgets the signal history, after a gap.
	Reset()
}

// Flusher is implemented by preprocessing steps that hold samples back
// (a resampler's filter delay). When a session ends (a final chunk, the
// idle timeout, or the end of a finite input), Flush is called once,
// after the last chunk, and returns the samples still owed, on the
// output clock, as Process does; the later steps process them, and the
// windows they complete are analysed before the stages' Finishers run.
// Without it, a resampled recording would come out shorter than its
// input by the filter delay, and so would the duration its results
// report. The output is valid until the next call.
type Flusher interface {
	Flush() (out [][]float64, outFirst int64)
}
