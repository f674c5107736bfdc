package dspbench

import (
	"fmt"
	"math"

	"github.com/neurostream/neurostream/models/ssvep"
	"github.com/neurostream/neurostream/tokenizer"
)

// tokenizerRows trains a default vocabulary (1024 tokens, seed 1) on the
// first 4 minutes of every channel, then times tokenizing every channel once
// resampled to 200 Hz: with the vocabulary's two-level search (Tokenize)
// and with the exhaustive nearest-codeword search (Motifs, then Nearest
// for each), and the resampling included (from the data's rate).
func tokenizerRows(x [][]float64, cfg Config) ([]Row, error) {
	col, err := tokenizer.NewCollector(tokenizer.FeatureConfig{})
	if err != nil {
		return nil, err
	}
	head := min(len(x[0]), int(240*cfg.Rate))
	for _, row := range x {
		if _, err := col.Add(row[:head], cfg.Rate); err != nil {
			return nil, err
		}
	}
	const size = 1024 // the default vocabulary
	if col.Len() < 2*size {
		return nil, nil // too little data for a vocabulary
	}
	v, err := tokenizer.Train(col.Motifs, tokenizer.TrainConfig{Size: size, Seed: 1})
	if err != nil {
		return nil, fmt.Errorf("dspbench: tokenizer vocabulary from %d s of %d channels: %w", head/int(cfg.Rate), len(x), err)
	}
	rs, err := tokenizer.NewResampler(cfg.Rate)
	if err != nil {
		return nil, err
	}
	z := make([][]float64, len(x))
	for c, row := range x {
		z[c] = rs.Resample(row)
	}
	up, down, _ := tokenizer.Ratio(cfg.Rate)
	tk := v.NewTokenizer()
	tokens := make([]tokenizer.Token, 0, tokenizer.NumFrames(len(z[0])))
	motifs := tk.Motifs(nil, z[0])
	work := float64(len(z) * len(z[0]))
	params := map[string]any{"vocab": v.Size(), "dim": v.Dim(), "up": up, "down": down}
	rows := []Row{
		{Name: "tokenize", Unit: UnitChannelSamples, Params: params,
			What: fmt.Sprintf("tokenizer (STFT, features, two-level search in %d tokens) of every channel at 200 Hz", v.Size()),
			Value: timed(cfg.Repeats, work, func() {
				for _, row := range z {
					tokens = tk.Tokenize(tokens[:0], row)
				}
			})},
		{Name: "tokenize_exhaustive", Unit: UnitChannelSamples, Params: params,
			What: fmt.Sprintf("tokenizer features and the exhaustive nearest of %d codewords, every channel at 200 Hz", v.Size()),
			Value: timed(cfg.Repeats, work, func() {
				for _, row := range z {
					motifs = tk.Motifs(motifs[:0], row)
					for i := 0; i < len(motifs); i += v.Dim() {
						v.Nearest(motifs[i : i+v.Dim()])
					}
				}
			})},
		{Name: "tokenize_resample", Unit: UnitChannelSamples, Params: params,
			What: fmt.Sprintf("resampling %d/%d to 200 Hz, then the tokenizer, every channel (input samples)", up, down),
			Value: timed(cfg.Repeats, float64(len(x)*len(x[0])), func() {
				for _, row := range x {
					tokens = tk.Tokenize(tokens[:0], rs.Resample(row))
				}
			})},
	}
	return rows, nil
}

// ssvepFreqs are the targets of the SSVEP rows (configs/ssvep-speller.yaml).
var ssvepFreqs = []float64{8, 11, 13, 15}

// ssvepChannels is the montage size of the SSVEP rows.
const ssvepChannels = 8

// ssvepRows times one decision (Scores) per 2 s window of the first
// ssvepChannels channels for 4 targets: CCA, FBCCA (Chen's 5 sub-bands,
// zero-phase), TRCA and ensemble TRCA (trained on 2 windows per target of
// the data itself: the decode time does not depend on what was learnt).
func ssvepRows(x [][]float64, cfg Config) ([]Row, error) {
	n := int(math.Round(2 * cfg.Rate))
	nch := min(ssvepChannels, len(x))
	starts := windowStarts(len(x[0]), n, n, cfg.Windows)
	if len(starts) < 2*len(ssvepFreqs) {
		return nil, nil
	}
	win := make([][][]float64, len(starts))
	for i, s := range starts {
		win[i] = window(make([][]float64, nch), x[:nch], s, n)
	}
	cc := ssvep.CCAConfig{Freqs: ssvepFreqs, SampleRate: cfg.Rate, Samples: n, Channels: nch}
	decoders, err := ssvepDecoders(cc, win)
	if err != nil {
		return nil, err
	}
	fb, err := ssvep.NewFilterBank(ssvep.FilterBankConfig{}, cfg.Rate, nch)
	if err != nil {
		return nil, err
	}
	sos := make([]any, fb.Len())
	for k := range sos {
		sos[k] = fb.SOS(k)
	}
	params := map[string]any{"freqs": ssvepFreqs, "channels": nch, "samples": n, "windows": len(starts),
		"harmonics": decoders[0].harmonics, "sub_band_sos": sos, "weights": fb.Weights(nil)}
	dst := make([]float64, len(ssvepFreqs))
	var rows []Row
	for _, d := range decoders {
		var serr error
		v := timed(cfg.Repeats, float64(len(win)), func() {
			for _, w := range win {
				if _, err := d.d.Scores(dst, w); err != nil {
					serr = err
				}
			}
		})
		if serr != nil {
			return nil, fmt.Errorf("dspbench: %s: %w", d.name, serr)
		}
		rows = append(rows, Row{Name: "ssvep_" + d.name, Unit: UnitDecisions, Value: v, Params: params,
			What: fmt.Sprintf("SSVEP decision (%s scores) of a 2 s window, %d channels, %d targets", d.name, nch, len(ssvepFreqs))})
	}
	return rows, nil
}

type scorer interface {
	Scores(dst []float64, x [][]float64) ([]float64, error)
}

type namedDecoder struct {
	name      string
	d         scorer
	harmonics int
}

// ssvepDecoders returns CCA, FBCCA, TRCA and eTRCA for windows like win,
// the TRCA models trained on the first 2 windows per target.
func ssvepDecoders(cc ssvep.CCAConfig, win [][][]float64) ([]namedDecoder, error) {
	cca, err := ssvep.NewCCA(cc)
	if err != nil {
		return nil, err
	}
	fbcca, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cca.Config()})
	if err != nil {
		return nil, err
	}
	ds := []namedDecoder{{"cca", cca, cca.Config().Harmonics}, {"fbcca", fbcca, cca.Config().Harmonics}}
	labels := make([]int, 2*len(cc.Freqs))
	for i := range labels {
		labels[i] = i % len(cc.Freqs)
	}
	for _, ens := range []bool{false, true} {
		m, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: cc.SampleRate, Freqs: cc.Freqs, Ensemble: ens}, win[:len(labels)], labels)
		if err != nil {
			return nil, fmt.Errorf("dspbench: trca: %w", err)
		}
		name := "trca"
		if ens {
			name = "etrca"
		}
		ds = append(ds, namedDecoder{name, m, 0})
	}
	return ds, nil
}
