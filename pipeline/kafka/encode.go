package kafka

import (
	"bytes"
	"errors"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// recordEncoders encode records as EncodeRecord does, byte for byte, at a
// fraction of its cost: EncodeRecord builds the schema message anew for
// every record (a flatbuffer of every field and its metadata) and grows
// its buffer from nothing, a third of the result sink's CPU per window
// and most of its garbage. An encoder of a schema keeps an ipc.Writer
// that has written the schema message once, and its buffer; each record
// then costs its record batch message and one allocation of the exact
// size. Encoders are pooled per schema (records of one kind share their
// schema), for at most maxEncoderSchemas schemas; records of others, and
// schemas with dictionary fields (whose batches depend on the dictionaries
// written before), go through EncodeRecord.
type recordEncoders struct {
	mem   memory.Allocator
	mu    sync.Mutex
	pools map[*arrow.Schema]*sync.Pool
}

// maxEncoderSchemas bounds the schemas with pooled encoders, so that a
// stage that made a schema per record could not grow the cache without end.
const maxEncoderSchemas = 64

// kEOS is the Arrow IPC end-of-stream marker.
var kEOS = [8]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}

func newRecordEncoders(mem memory.Allocator) *recordEncoders {
	return &recordEncoders{mem: mem, pools: map[*arrow.Schema]*sync.Pool{}}
}

// encode returns rec as EncodeRecord does.
func (e *recordEncoders) encode(rec arrow.Record) ([]byte, error) {
	pool := e.pool(rec.Schema())
	if pool == nil {
		return EncodeRecord(rec, e.mem)
	}
	enc, _ := pool.Get().(*schemaEncoder)
	if enc == nil {
		var err error
		if enc, err = newSchemaEncoder(rec.Schema(), e.mem); err != nil {
			return nil, err
		}
	}
	b, err := enc.encode(rec)
	if err != nil {
		// The writer's state is unknown after a failure: drop it.
		return nil, err
	}
	pool.Put(enc)
	return b, nil
}

// pool returns the encoders of schema, or nil for EncodeRecord.
func (e *recordEncoders) pool(schema *arrow.Schema) *sync.Pool {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pools[schema]
	if ok || len(e.pools) >= maxEncoderSchemas {
		return p
	}
	if !hasDictionary(schema.Fields()) {
		p = &sync.Pool{}
	}
	e.pools[schema] = p // nil: known not to be cached
	return p
}

func hasDictionary(fields []arrow.Field) bool {
	for _, f := range fields {
		if f.Type.ID() == arrow.DICTIONARY {
			return true
		}
		if n, ok := f.Type.(arrow.NestedType); ok && hasDictionary(n.Fields()) {
			return true
		}
	}
	return false
}

// schemaEncoder writes the records of one schema into buf through w, which
// wrote the schema message (head) before its first record.
type schemaEncoder struct {
	head []byte
	buf  bytes.Buffer
	w    *ipc.Writer
	// started: w has written head into buf already.
	started bool
}

func newSchemaEncoder(schema *arrow.Schema, mem memory.Allocator) (*schemaEncoder, error) {
	// The schema message alone: the stream of no records, less its
	// end-of-stream marker.
	var b bytes.Buffer
	w := ipc.NewWriter(&b, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err := w.Close(); err != nil {
		return nil, err
	}
	head, ok := bytes.CutSuffix(b.Bytes(), kEOS[:])
	if !ok {
		return nil, errors.New("kafka: the Arrow IPC stream of no records does not end with the end-of-stream marker")
	}
	enc := &schemaEncoder{head: head}
	enc.w = ipc.NewWriter(&enc.buf, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	return enc, nil
}

func (enc *schemaEncoder) encode(rec arrow.Record) ([]byte, error) {
	enc.buf.Reset()
	if err := enc.w.Write(rec); err != nil {
		return nil, err
	}
	batch := enc.buf.Bytes()
	if !enc.started {
		// The first record comes after the schema message.
		var ok bool
		if batch, ok = bytes.CutPrefix(batch, enc.head); !ok {
			return nil, errors.New("kafka: the Arrow IPC writer's schema message differs from the one written alone")
		}
		enc.started = true
	}
	out := make([]byte, 0, len(enc.head)+len(batch)+len(kEOS))
	out = append(out, enc.head...)
	out = append(out, batch...)
	return append(out, kEOS[:]...), nil
}
