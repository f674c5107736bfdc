package wire

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// Arrow buffers are little-endian. On a little-endian host a float32
// column's bytes are exactly its memory, so values move with one copy.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// float32Bytes views xs as its underlying bytes. Any byte alignment is fine
// for a []byte, so this is valid whatever the message's alignment.
func float32Bytes(xs []float32) []byte {
	if len(xs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&xs[0])), 4*len(xs))
}

// putFloat32s stores xs little-endian into dst (len(dst) == 4*len(xs)).
func putFloat32s(dst []byte, xs []float32) {
	if hostLittleEndian {
		copy(dst, float32Bytes(xs))
		return
	}
	for j, v := range xs {
		binary.LittleEndian.PutUint32(dst[4*j:], math.Float32bits(v))
	}
}

// getFloat32s loads len(dst) little-endian float32 values from src.
func getFloat32s(dst []float32, src []byte) {
	if hostLittleEndian {
		copy(float32Bytes(dst), src)
		return
	}
	for j := range dst {
		dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*j:]))
	}
}
