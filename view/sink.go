package view

import (
	"context"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// Sink is a pipeline.Sink that hands the runtime's results to a hub. Its
// Write never waits and never fails: a view that falls behind drops its
// oldest results (Hub.Offer), it does not slow the pipeline.
type Sink struct{ Hub *Hub }

// Write implements pipeline.Sink.
func (s Sink) Write(_ context.Context, results []arrowout.Result) error {
	s.Hub.Offer(results, -1)
	return nil
}

// Close implements pipeline.Sink; the hub goes on serving what it has.
func (s Sink) Close() error { return nil }

// DeadLetters counts each dead letter in the hub (by session) and passes
// it on to Next, a run's own dead-letter sink (nil: counted only).
type DeadLetters struct {
	Hub  *Hub
	Next pipeline.DeadLetterSink
}

// DeadLetter implements pipeline.DeadLetterSink.
func (d DeadLetters) DeadLetter(ctx context.Context, dl pipeline.DeadLetter) error {
	d.Hub.OfferDeadLetter(dl.Message.Key)
	if d.Next == nil {
		return nil
	}
	return d.Next.DeadLetter(ctx, dl)
}

// Close implements pipeline.DeadLetterSink.
func (d DeadLetters) Close() error {
	if d.Next == nil {
		return nil
	}
	return d.Next.Close()
}
