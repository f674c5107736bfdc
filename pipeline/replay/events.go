package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/neurostream/neurostream/pipeline"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// Event is the JSON value of one events-topic message: an annotation of
// a replayed recording, keyed by session.
type Event struct {
	Session     string  `json:"session"`
	Onset       float64 `json:"onset"`
	Duration    float64 `json:"duration"`
	Description string  `json:"description"`
	// Sample is the onset on the session's sample clock,
	// round(onset · sample rate).
	Sample int64 `json:"sample"`
}

// eventPublisher writes events in the background, in order, so chunks do
// not wait for them.
type eventPublisher struct {
	w    *pkafka.ChunkWriter
	ch   chan pipeline.Message
	done chan struct{}
	err  error
}

func newEventPublisher(ctx context.Context, w *pkafka.ChunkWriter) *eventPublisher {
	ep := &eventPublisher{w: w, ch: make(chan pipeline.Message, 1024), done: make(chan struct{})}
	go func() {
		defer close(ep.done)
		batch := make([]pipeline.Message, 0, 100)
		for m := range ep.ch {
			batch = append(batch[:0], m)
		fill:
			for len(batch) < cap(batch) {
				select {
				case m, ok := <-ep.ch:
					if !ok {
						break fill
					}
					batch = append(batch, m)
				default:
					break fill
				}
			}
			if ep.err != nil {
				continue // drain
			}
			if err := w.Write(ctx, batch...); err != nil {
				ep.err = fmt.Errorf("events to %s: %w", w.Topic(), err)
			}
		}
	}()
	return ep
}

func (ep *eventPublisher) publish(e Event) {
	b, _ := json.Marshal(e) // plain fields: cannot fail
	ep.ch <- pipeline.Message{Key: e.Session, Value: b, Origin: "event of " + e.Session, Time: time.Now()}
}

// close waits until every event was written and closes the writer.
func (ep *eventPublisher) close() error {
	close(ep.ch)
	<-ep.done
	if err := ep.w.Close(); err != nil && ep.err == nil {
		ep.err = err
	}
	return ep.err
}

// publishDue publishes s's annotations whose onset lies before end, the
// end of the chunk just read, and all that are left when end is the
// recording's end. It runs in the reading goroutine.
func (ep *eventPublisher) publishDue(s *Session, end int64, counted func(*Session)) {
	if s.Info == nil {
		return
	}
	ann := s.Info.Annotations
	for ; s.nextEvent < len(ann); s.nextEvent++ {
		a := ann[s.nextEvent]
		sample := int64(a.Onset*s.Info.SampleRate + 0.5)
		if sample >= end && end < s.Info.NSamples {
			break
		}
		ep.publish(Event{Session: s.ID, Onset: a.Onset, Duration: a.Duration, Description: a.Description, Sample: sample})
		counted(s)
	}
}
