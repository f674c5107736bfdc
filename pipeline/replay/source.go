package replay

import (
	"context"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
)

// Session follows one recording through a ChunkSource.
type Session struct {
	// ID is the session id the chunks carry; Name the recording's path
	// or description.
	ID, Name string
	// Info is the recording's, once it was opened (nil before).
	Info *formats.Info

	// Set by the source's reading goroutine only.
	pos       int64 // end of the samples read last
	sent      int64 // end of the last chunk handed out
	nextEvent int

	// Under the tally's lock.
	chunks, acked, events int64
	done                  bool
}

// trackedRecording notes how far the RecordingSource has read.
type trackedRecording struct {
	formats.Recording
	s *Session
}

func (r trackedRecording) ReadSamples(dst [][]float64, start, stop int64) error {
	err := r.Recording.ReadSamples(dst, start, stop)
	if err == nil {
		r.s.pos = stop
	}
	return err
}

// ChunkSource is a pipeline.RecordingSource that says, for each chunk it
// yields, which session and samples [start, end) it holds. The chunk
// encoding is the RecordingSource's own. Set the hooks before the first
// Read.
type ChunkSource struct {
	*pipeline.RecordingSource
	// OnRead, when set, runs in the reading goroutine before a chunk is
	// handed on.
	OnRead func(s *Session, start, end int64, m *pipeline.Message)
	// OnAck, when set, runs when a chunk was acknowledged, with the
	// acknowledgement's error.
	OnAck func(s *Session, start, end int64, m *pipeline.Message, err error)

	sessions map[string]*Session
}

// NewChunkSource returns a source of specs' recordings.
func NewChunkSource(specs []pipeline.RecordingSpec, cfg pipeline.RecordingSourceConfig) *ChunkSource {
	cs := &ChunkSource{sessions: map[string]*Session{}}
	rs := make([]pipeline.RecordingSpec, len(specs))
	for i, sp := range specs {
		s := &Session{ID: sp.Session, Name: sp.Name}
		cs.sessions[sp.Session] = s
		rs[i] = pipeline.RecordingSpec{Session: sp.Session, Name: sp.Name, Open: func() (formats.Recording, error) {
			rec, err := sp.Open()
			if err != nil {
				return nil, err
			}
			s.Info = rec.Info()
			return trackedRecording{rec, s}, nil
		}}
	}
	cs.RecordingSource = pipeline.NewRecordingSource(rs, cfg)
	return cs
}

// Read implements pipeline.Source.
func (cs *ChunkSource) Read(ctx context.Context) (pipeline.Message, pipeline.AckFunc, error) {
	m, ack, err := cs.RecordingSource.Read(ctx)
	if err != nil {
		return m, ack, err
	}
	s := cs.sessions[m.Key]
	if s == nil {
		return m, ack, nil
	}
	start, end := s.sent, s.pos
	s.sent = end
	if cs.OnRead != nil {
		cs.OnRead(s, start, end, &m)
	}
	if cs.OnAck == nil {
		return m, ack, nil
	}
	return m, func(err error) {
		ack(err)
		cs.OnAck(s, start, end, &m, err)
	}, nil
}
