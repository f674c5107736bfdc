package xdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// builder writes XDF files in tests that need no Python: damaged files,
// fuzz seeds, allocation checks.
type builder struct{ bytes.Buffer }

func newBuilder() *builder {
	b := &builder{}
	b.WriteString("XDF:")
	b.chunk(tagFileHeader, []byte(`<?xml version="1.0"?><info><version>1.0</version></info>`))
	return b
}

func appendVarlen(out []byte, n uint64) []byte {
	switch {
	case n < 256:
		return append(out, 1, byte(n))
	case n < 1<<32:
		return binary.LittleEndian.AppendUint32(append(out, 4), uint32(n))
	}
	return binary.LittleEndian.AppendUint64(append(out, 8), n)
}

func (b *builder) chunk(tag uint16, content []byte) {
	b.Write(appendVarlen(nil, uint64(len(content)+2)))
	b.Write(binary.LittleEndian.AppendUint16(nil, tag))
	b.Write(content)
}

func withID(id uint32, content []byte) []byte {
	return append(binary.LittleEndian.AppendUint32(nil, id), content...)
}

// stream writes a stream header; channels are label:unit:type triples.
func (b *builder) stream(id uint32, name, typ string, nch int, rate float64, f Format, channels ...[3]string) {
	desc := ""
	if len(channels) > 0 {
		desc = "<channels>"
		for _, c := range channels {
			desc += fmt.Sprintf("<channel><label>%s</label><unit>%s</unit><type>%s</type></channel>", c[0], c[1], c[2])
		}
		desc += "</channels>"
	}
	xml := fmt.Sprintf(`<?xml version="1.0"?><info><name>%s</name><type>%s</type><channel_count>%d</channel_count><nominal_srate>%v</nominal_srate><channel_format>%s</channel_format><desc>%s</desc></info>`,
		name, typ, nch, rate, f, desc)
	b.chunk(tagStreamHeader, withID(id, []byte(xml)))
}

// numeric writes a Samples chunk of rows; a NaN stamp is left out.
func (b *builder) numeric(id uint32, f Format, rows [][]float64, stamps []float64) {
	out := appendVarlen(nil, uint64(len(rows)))
	le := binary.LittleEndian
	for i, row := range rows {
		if math.IsNaN(stamps[i]) {
			out = append(out, 0)
		} else {
			out = le.AppendUint64(append(out, 8), math.Float64bits(stamps[i]))
		}
		for _, v := range row {
			switch f {
			case Int8:
				out = append(out, byte(int8(v)))
			case Int16:
				out = le.AppendUint16(out, uint16(int16(v)))
			case Int32:
				out = le.AppendUint32(out, uint32(int32(v)))
			case Int64:
				out = le.AppendUint64(out, uint64(int64(v)))
			case Float32:
				out = le.AppendUint32(out, math.Float32bits(float32(v)))
			case Double64:
				out = le.AppendUint64(out, math.Float64bits(v))
			}
		}
	}
	b.chunk(tagSamples, withID(id, out))
}

// strings writes a Samples chunk of string rows.
func (b *builder) strings(id uint32, rows [][]string, stamps []float64) {
	out := appendVarlen(nil, uint64(len(rows)))
	for i, row := range rows {
		out = binary.LittleEndian.AppendUint64(append(out, 8), math.Float64bits(stamps[i]))
		for _, v := range row {
			out = append(appendVarlen(out, uint64(len(v))), v...)
		}
	}
	b.chunk(tagSamples, withID(id, out))
}

func (b *builder) offset(id uint32, t, v float64) {
	out := binary.LittleEndian.AppendUint64(nil, math.Float64bits(t))
	out = binary.LittleEndian.AppendUint64(out, math.Float64bits(v))
	b.chunk(tagClockOffset, withID(id, out))
}

func (b *builder) boundary() { b.chunk(tagBoundary, boundarySignature) }

func (b *builder) footer(id uint32, count int) {
	b.chunk(tagStreamFooter, withID(id, fmt.Appendf(nil, `<?xml version="1.0"?><info><sample_count>%d</sample_count></info>`, count)))
}

// sessionBytes is a small sound file: an EEG stream (3 channels, 100 Hz,
// int16 in µV) in several chunks with clock offsets, a string marker
// stream and an int32 marker stream.
func sessionBytes() []byte {
	b := newBuilder()
	b.stream(1, "amp", "EEG", 3, 100, Int16, [3]string{"Fz", "microvolts", "EEG"}, [3]string{"EOG", "uV", "EOG"}, [3]string{"Trig", "", "STIM"})
	b.stream(2, "psy", "Markers", 1, 0, String)
	b.stream(3, "codes", "Markers", 1, 0, Int32)
	n := 0
	for chunk := range 12 {
		var rows [][]float64
		var stamps []float64
		for k := range 25 {
			rows = append(rows, []float64{float64(n%200 - 100), float64(-n), float64(n % 3)})
			st := math.NaN()
			if k == 0 || k%7 == 3 {
				st = 50 + float64(n)/100 + 1e-4*float64(k%3)
			}
			stamps = append(stamps, st)
			n++
		}
		b.numeric(1, Int16, rows, stamps)
		if chunk%3 == 0 {
			b.offset(1, 50+float64(chunk)/4, -0.25+1e-6*float64(chunk))
			b.offset(2, 80+float64(chunk)/4, -30.25)
		}
		if chunk == 4 {
			b.strings(2, [][]string{{"start"}, {"go"}}, []float64{80.5, 81.25})
			b.numeric(3, Int32, [][]float64{{7}}, []float64{50.7})
			b.boundary()
		}
	}
	b.footer(1, n)
	return b.Bytes()
}
