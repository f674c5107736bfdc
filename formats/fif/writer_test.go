package fif

import (
	"bytes"
	"encoding/binary"
	"math"
)

// fifWriter is a test-only FIF writer: enough of the format to build small
// recordings that exercise the reader (buffer types, skips, annotations, a
// tag directory, MaxShield blocks) without shared data.
type fifWriter struct {
	b       bytes.Buffer
	dir     [][4]int32 // kind, type, size, pos
	dirPtr  int        // offset of the FIFF_DIR_POINTER data
	lastPos int
}

func newFIFWriter() *fifWriter {
	w := &fifWriter{}
	w.id(kindFileID, 1234567890, 0)
	w.dirPtr = w.b.Len() + tagHeaderLen
	w.i32(kindDirPointer, -1)
	return w
}

// tag writes one tag with next = 0 (data follow sequentially).
func (w *fifWriter) tag(kind int32, typ uint32, data []byte) {
	w.lastPos = w.b.Len()
	w.dir = append(w.dir, [4]int32{kind, int32(typ), int32(len(data)), int32(w.b.Len())})
	var h [tagHeaderLen]byte
	binary.BigEndian.PutUint32(h[0:], uint32(kind))
	binary.BigEndian.PutUint32(h[4:], typ)
	binary.BigEndian.PutUint32(h[8:], uint32(len(data)))
	w.b.Write(h[:])
	w.b.Write(data)
}

func (w *fifWriter) i32(kind int32, v ...int32) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint32(b[4*i:], uint32(x))
	}
	w.tag(kind, typeInt, b)
}

func (w *fifWriter) f32(kind int32, v ...float32) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	w.tag(kind, typeFloat, b)
}

func (w *fifWriter) f64(kind int32, v ...float64) {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.BigEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	w.tag(kind, typeDouble, b)
}

func (w *fifWriter) str(kind int32, s string) { w.tag(kind, typeString, []byte(s)) }

func (w *fifWriter) id(kind int32, secs, usecs int32) {
	b := make([]byte, idStructLen)
	binary.BigEndian.PutUint32(b[0:], 0x10003)
	binary.BigEndian.PutUint32(b[12:], uint32(secs))
	binary.BigEndian.PutUint32(b[16:], uint32(usecs))
	w.tag(kind, typeIDStruct, b)
}

func (w *fifWriter) start(block int32) { w.i32(kindBlockStart, block) }
func (w *fifWriter) end(block int32)   { w.i32(kindBlockEnd, block) }

// synthCh is one channel of a synthetic recording.
type synthCh struct {
	name             string
	kind, coil, unit int32
	rng, cal         float32
	loc              [12]float32
}

func (w *fifWriter) chInfo(scan int, c synthCh) {
	b := make([]byte, chInfoLen)
	be := binary.BigEndian
	be.PutUint32(b[0:], uint32(scan+1))
	be.PutUint32(b[4:], uint32(scan+1))
	be.PutUint32(b[8:], uint32(c.kind))
	be.PutUint32(b[12:], math.Float32bits(c.rng))
	be.PutUint32(b[16:], math.Float32bits(c.cal))
	be.PutUint32(b[20:], uint32(c.coil))
	for i, v := range c.loc {
		be.PutUint32(b[24+4*i:], math.Float32bits(v))
	}
	be.PutUint32(b[72:], uint32(c.unit))
	copy(b[80:95], c.name)
	w.tag(kindChInfo, typeChInfoStruct, b)
}

// buffer writes a FIFF_DATA_BUFFER of type typ holding the stored values
// data[sample][channel].
func (w *fifWriter) buffer(typ uint32, data [][]float64) {
	var b []byte
	for _, row := range data {
		for _, v := range row {
			switch typ {
			case typeShort, typeDAUPack16:
				b = binary.BigEndian.AppendUint16(b, uint16(int16(v)))
			case typeInt:
				b = binary.BigEndian.AppendUint32(b, uint32(int32(v)))
			case typeFloat:
				b = binary.BigEndian.AppendUint32(b, math.Float32bits(float32(v)))
			case typeDouble:
				b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
			}
		}
	}
	w.tag(kindDataBuffer, typ, b)
}

// finish ends the file with a NOP whose next is -1, after writing a tag
// directory and pointing FIFF_DIR_POINTER at it when withDir is set.
func (w *fifWriter) finish(withDir bool) []byte {
	if withDir {
		pos := w.b.Len()
		b := make([]byte, 0, 16*(len(w.dir)+1))
		for _, e := range w.dir {
			for _, v := range e {
				b = binary.BigEndian.AppendUint32(b, uint32(v))
			}
		}
		// The directory lists itself too, as Neuromag files do.
		for _, v := range [4]int32{102, typeDirEntry, int32(len(b) + 16), int32(pos)} {
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		}
		w.tag(102, typeDirEntry, b)
		binary.BigEndian.PutUint32(w.b.Bytes()[w.dirPtr:], uint32(pos))
	}
	w.tag(108, 0, nil)
	binary.BigEndian.PutUint32(w.b.Bytes()[w.lastPos+12:], 0xFFFFFFFF)
	return w.b.Bytes()
}

// synth describes a small raw recording for the test writer.
type synth struct {
	sfreq       float32
	chs         []synthCh
	measDate    []int32 // nil: none
	firstSample int32   // written when non-zero
	initialSkip int32   // written when non-zero
	// parts are data buffers; a part with skip > 0 is a FIFF_DATA_SKIP of
	// that many buffers instead.
	parts []synthBuf
	annot *synthAnnot
	block int32 // raw data block kind; default FIFFB_RAW_DATA
	dir   bool
	// extended writes FIFFB_CH_INFO blocks holding each channel's long
	// name, as MNE does for names over 15 characters.
	extended []string
	// next names the split file the recording continues in: a FIFFB_REF
	// block with role "next file" ends the raw data block.
	next string
	// nextNum writes the next part's number (FIFF_REF_FILE_NUM) instead
	// of its name.
	nextNum int32
}

type synthBuf struct {
	typ  uint32
	data [][]float64 // [sample][channel], stored values
	skip int32
}

type synthAnnot struct {
	onset, end []float32
	desc       string
	orig       []float64 // FIFF_MEAS_DATE of the block; nil: none
}

func (s *synth) bytes() []byte {
	w := newFIFWriter()
	w.start(blockMeas)
	w.id(kindBlockID, 1234567890, 5)
	w.start(blockMeasInfo)
	if s.measDate != nil {
		w.i32(kindMeasDate, s.measDate...)
	}
	w.i32(kindNChan, int32(len(s.chs)))
	w.f32(kindSFreq, s.sfreq)
	for i, c := range s.chs {
		w.chInfo(i, c)
	}
	for _, name := range s.extended {
		w.start(blockChInfo)
		w.str(kindChDacqName, name)
		w.end(blockChInfo)
	}
	w.end(blockMeasInfo)
	if a := s.annot; a != nil {
		w.start(blockMNEAnnotations)
		w.f32(kindMNEBaselineMin, a.onset...)
		w.f32(kindMNEBaselineMax, a.end...)
		w.str(kindComment, a.desc)
		if a.orig != nil {
			w.f64(kindMeasDate, a.orig...)
		}
		w.end(blockMNEAnnotations)
	}
	block := s.block
	if block == 0 {
		block = blockRawData
	}
	w.start(block)
	if s.firstSample != 0 {
		w.i32(kindFirstSample, s.firstSample)
	}
	if s.initialSkip != 0 {
		w.i32(kindDataSkip, s.initialSkip)
	}
	for _, p := range s.parts {
		if p.skip > 0 {
			w.i32(kindDataSkip, p.skip)
			continue
		}
		w.buffer(p.typ, p.data)
	}
	if s.next != "" || s.nextNum != 0 {
		w.start(blockRef)
		w.i32(kindRefRole, roleNextFile)
		if s.next != "" {
			w.str(kindRefFileName, s.next)
		} else {
			w.i32(kindRefFileNum, s.nextNum)
		}
		w.end(blockRef)
	}
	w.end(block)
	w.end(blockMeas)
	return w.finish(s.dir)
}

// ramp returns n samples of nchan channels: value = base + 10*i + c, small
// integers that every buffer type stores exactly.
func ramp(n, nchan int, base float64) [][]float64 {
	d := make([][]float64, n)
	for i := range d {
		d[i] = make([]float64, nchan)
		for c := range d[i] {
			d[i][c] = base + float64(10*i+c)
		}
	}
	return d
}

// eegChannels returns n EEG channels in V with cal 1e-6 (stored µV).
func eegChannels(n int) []synthCh {
	chs := make([]synthCh, n)
	for i := range chs {
		chs[i] = synthCh{name: "EEG" + string(rune('A'+i)), kind: chEEG, coil: coilEEG, unit: unitV, rng: 1, cal: 1e-6,
			loc: [12]float32{0.01 * float32(i+1), 0.02, 0.03}}
	}
	return chs
}
