package brainvision

import (
	"math"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
)

// mneScript reads one file with MNE and prints make_golden.py's description
// of it plus the channel positions.
const mneScript = `
import json, sys
sys.path.insert(0, sys.argv[1])
import make_golden, mne
raw = mne.io.read_raw_brainvision(sys.argv[2], preload=True)
g = make_golden.describe(raw, "synthetic", "mne.io.read_raw_brainvision")
g["locs"] = [None if ch["loc"][0] != ch["loc"][0] else ch["loc"][:3].tolist() for ch in raw.info["chs"]]
print(json.dumps(g))
`

type mneResult struct {
	formatstest.Golden
	Locs []*[3]float64 `json:"locs"`
}

func readWithMNE(t *testing.T, path string) *mneResult {
	t.Helper()
	var g mneResult
	formatstest.PythonJSON(t, &g, mneScript, formatstest.GoldenDir(), path)
	return &g
}

// TestAgainstMNE writes synthetic recordings covering the cases the shared
// files do not (INT_32, vectorized integers, CRLF markers clipped at both
// ends, units that make channels misc, latin-1, coordinates, configparser
// corners) and compares this reader with MNE on each.
func TestAgainstMNE(t *testing.T) {
	type variant struct {
		name, format string
		orient       Orientation
		edit         func(s *synth)
	}
	coords := func(s *synth) {
		s.vhdr = strings.Replace(s.vhdr, "[Comment]", "[Coordinates]\nCh1=1,90,45\nCh2=85,30,-20\nCh4=0,0,0\n\n[Comment]", 1)
	}
	variants := []variant{
		{"int16 multiplexed", "INT_16", Multiplexed, nil},
		{"int32 vectorized", "INT_32", Vectorized, nil},
		{"float32 vectorized", "IEEE_FLOAT_32", Vectorized, nil},
		{"int16 vectorized coordinates", "INT_16", Vectorized, coords},
		{"latin1 no codepage, old layout", "INT_16", Multiplexed, func(s *synth) {
			h := strings.Replace(s.vhdr, "Codepage=UTF-8\n", "", 1)
			h = strings.Replace(h, "Ch1=Fp1,,0.5,µV", "Ch1=Fp\xe91,,0.5", 1)
			h = strings.Replace(h, "Ch3=GSR,,2,µS", "Ch3=GSR,,,\xb5S", 1)
			s.vhdr = h
		}},
		{"configparser", "INT_16", Multiplexed, func(s *synth) {
			h := strings.Replace(s.vhdr, "NumberOfChannels=4\n", "numberofchannels : 4\n", 1)
			h = strings.Replace(h, "Ch4=Temp\\1x,,0.25,C\n", "  ; comment\n\n# another\n", 1)
			h = strings.Replace(h, "Ch2=HEOGL,,1,nV\n", "Ch2=HEOGL,,1,nV\n  extra\n", 1)
			h = strings.Replace(h, "[Common Infos]\n", "[DEFAULT]\nCh0=STI 014,,1,mV\n[Common Infos]\n", 1)
			s.vhdr = h
		}},
		{"cp1252 markers", "INT_16", Multiplexed, func(s *synth) {
			s.vhdr = strings.Replace(s.vhdr, "Codepage=UTF-8", "Codepage=ANSI", 1)
			s.vhdr = strings.Replace(s.vhdr, "Ch1=Fp1,,0.5,µV", "Ch1=Fp\x801,,0.5,\xb5V", 1)
			// MNE reads the marker file as UTF-8 text once (for the
			// date) and fails on other bytes, so the markers stay ASCII.
			s.vmrk = "Brain Vision Data Exchange Marker File, Version 2.0\n[Common Infos]\nCodepage=ANSI\n" +
				"[marker INFOS]\nMk1=Stimulus,S  1,5,3,0\nMk2=New Segment,,7,1,0,20010101000000000000\n" +
				"Mk3=Response,R 1,60,20,0\nMk4=Bad Size,x,8,1x,0\n"
		}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			s := newSynth(t, v.format, v.orient, 50)
			if v.edit != nil {
				v.edit(&s)
			}
			path := s.write(t, t.TempDir(), "s")
			g := readWithMNE(t, path)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			formatstest.Check(t, r, &g.Golden, formatstest.Options{ChunkLen: 7})
			formatstest.CheckStart(t, r.Info().StartTime, g.MeasDate)
			for i, c := range r.Info().Channels {
				w := g.Locs[i]
				switch {
				case (c.Pos == nil) != (w == nil):
					t.Errorf("channel %d position %v, MNE %v", i, c.Pos, w)
				case w != nil:
					for k := range w {
						if math.Abs(c.Pos[k]-w[k]) > 1e-12 {
							t.Errorf("channel %d position %v, MNE %v", i, *c.Pos, *w)
							break
						}
					}
				}
			}
		})
	}
}
