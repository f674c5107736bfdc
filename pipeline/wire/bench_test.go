package wire

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var benchShapes = [][2]int{{8, 256}, {64, 256}, {306, 1000}}

func BenchmarkEncode(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%dch_x_%drows", s[0], s[1]), func(b *testing.B) {
			c := randChunk(rand.New(rand.NewPCG(1, 1)), s[0], s[1])
			enc := NewEncoder(nil)
			buf, _ := enc.Encode(nil, c)
			b.SetBytes(int64(4 * s[0] * s[1]))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.Seq++
				c.FirstSample += int64(s[1])
				var err error
				if buf, err = enc.Encode(buf[:0], c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%dch_x_%drows", s[0], s[1]), func(b *testing.B) {
			msg := mustEncode(b, randChunk(rand.New(rand.NewPCG(1, 1)), s[0], s[1]))
			dec := NewDecoder(nil)
			var c Chunk
			b.SetBytes(int64(4 * s[0] * s[1]))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := dec.Decode(&c, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	c := randChunk(rand.New(rand.NewPCG(1, 1)), 64, 256)
	v := NewValidator(Reject)
	b.SetBytes(4 * 64 * 256)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := v.Check(c); err != nil {
			b.Fatal(err)
		}
		c.Seq++
		c.FirstSample += 256
	}
}
