package ssvep

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/neurostream/neurostream/models/linear"
	"github.com/neurostream/neurostream/models/modelfile"
	"github.com/neurostream/neurostream/models/riemann"
	"gonum.org/v1/gonum/mat"
)

// Riemannian model files. One JSON object:
//
//	{"format": "neurostream-ssvep-riemann", "version": 1,
//	 "method": "mdm" | "ts-lr",
//	 "config": RiemannConfig (method, sample_rate, freqs, channels,
//	           estimator, band_width, order, broadband, causal, mean, c,
//	           standardize),
//	 "num_channels": c,
//	 "classes": [-1 (rest, if trained with it), 0, 1, ...],
//	 "centroids": [class][row][col]          (mdm),
//	 "reference": [row][col],                 (ts-lr)
//	 "weights": [class][feature], "bias": [class]   (ts-lr)}
//
// Matrices are written in full (symmetric). The band filters are
// redesigned from the configuration on load (dsp.Butter is deterministic).
// JSON numbers round-trip float64 exactly, so a loaded model scores bit for
// bit like the saved one.
const (
	RiemannModelFormat  = "neurostream-ssvep-riemann"
	RiemannModelVersion = 1
)

var riemannKind = modelfile.Kind{Format: RiemannModelFormat, Oldest: RiemannModelVersion, Newest: RiemannModelVersion}

type riemannFile struct {
	modelfile.Header
	Method      string        `json:"method"`
	Config      RiemannConfig `json:"config"`
	NumChannels int           `json:"num_channels"`
	Classes     []int         `json:"classes"`
	Centroids   [][][]float64 `json:"centroids,omitempty"`
	Reference   [][]float64   `json:"reference,omitempty"`
	Weights     [][]float64   `json:"weights,omitempty"`
	Bias        []float64     `json:"bias,omitempty"`
}

// Save writes the model to w as a versioned JSON model file.
func (d *Riemann) Save(w io.Writer) error {
	f := riemannFile{Header: modelfile.Header{Format: RiemannModelFormat, Version: RiemannModelVersion},
		Method: d.cfg.Method, Config: d.Config(), NumChannels: d.channels, Classes: slices.Clone(d.classes)}
	if d.mdm != nil {
		for k := range d.classes {
			f.Centroids = append(f.Centroids, symRows(d.mdm.Centroid(k)))
		}
	} else {
		f.Reference = symRows(d.tslr.TangentSpace().Reference())
		lr := d.tslr.Logistic()
		for k := range lr.Classes {
			f.Weights = append(f.Weights, slices.Clone(lr.Weights[k*lr.Dim:(k+1)*lr.Dim]))
		}
		f.Bias = slices.Clone(lr.Bias)
	}
	if err := modelfile.Write(w, &f, ""); err != nil {
		return fmt.Errorf("ssvep: save %s model: %w", d.cfg.Method, err)
	}
	return nil
}

// LoadRiemann reads a model file written by Riemann.Save. An error names
// what is wrong: another format or version, an invalid configuration,
// inconsistent dimensions, a matrix that is not SPD, non-finite values.
func LoadRiemann(r io.Reader) (*Riemann, error) {
	var f riemannFile
	if err := riemannKind.Read(r, &f); err != nil {
		return nil, fmt.Errorf("ssvep: load riemannian model: %w", err)
	}
	d, err := riemannFromFile(&f)
	if err != nil {
		return nil, fmt.Errorf("ssvep: load %s model: %w", f.Method, err)
	}
	return d, nil
}

func riemannFromFile(f *riemannFile) (*Riemann, error) {
	cfg, err := f.Config.resolve()
	if err != nil {
		return nil, err
	}
	if f.Method != cfg.Method {
		return nil, fmt.Errorf("method %q disagrees with the configuration's %q", f.Method, cfg.Method)
	}
	if f.NumChannels < 1 || (cfg.Channels != nil && len(cfg.Channels) != f.NumChannels) {
		return nil, fmt.Errorf("%d channels, %d channel names", f.NumChannels, len(cfg.Channels))
	}
	want := make([]int, 0, len(cfg.Freqs)+1)
	if len(f.Classes) == len(cfg.Freqs)+1 {
		want = append(want, Rest)
	}
	for k := range cfg.Freqs {
		want = append(want, k)
	}
	if !slices.Equal(f.Classes, want) {
		return nil, fmt.Errorf("classes %v for %d targets: want %v", f.Classes, len(cfg.Freqs), want)
	}
	d := &Riemann{cfg: cfg, channels: f.NumChannels}
	if d.ext, err = riemann.NewExtended(cfg.extended(f.NumChannels)); err != nil {
		return nil, err
	}
	n := d.ext.Dim()
	if cfg.Method == MethodMDM {
		err = d.loadMDM(f, n)
	} else {
		err = d.loadTSLR(f, n)
	}
	if err != nil {
		return nil, err
	}
	d.prepare()
	return d, nil
}

func (d *Riemann) loadMDM(f *riemannFile, n int) error {
	if len(f.Centroids) != len(f.Classes) || f.Reference != nil || f.Weights != nil {
		return fmt.Errorf("%d centroids for %d classes (and no reference or weights)", len(f.Centroids), len(f.Classes))
	}
	means := make([]*mat.SymDense, len(f.Centroids))
	for k, rows := range f.Centroids {
		m, err := rowsSym(rows)
		if err != nil {
			return fmt.Errorf("centroid %d: %w", k, err)
		}
		if m.SymmetricDim() != n {
			return fmt.Errorf("centroid %d is %d×%d, the extended signal has %d rows", k, m.SymmetricDim(), m.SymmetricDim(), n)
		}
		means[k] = m
	}
	var err error
	d.mdm, err = riemann.NewMDM(f.Classes, means)
	return err
}

func (d *Riemann) loadTSLR(f *riemannFile, n int) error {
	if f.Centroids != nil {
		return errors.New("centroids in a ts-lr model")
	}
	ref, err := rowsSym(f.Reference)
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	if ref.SymmetricDim() != n {
		return fmt.Errorf("reference is %d×%d, the extended signal has %d rows", ref.SymmetricDim(), ref.SymmetricDim(), n)
	}
	dim := riemann.VectorLen(n)
	if len(f.Weights) != len(f.Classes) || len(f.Bias) != len(f.Classes) {
		return fmt.Errorf("%d weight rows and %d biases for %d classes", len(f.Weights), len(f.Bias), len(f.Classes))
	}
	lr := &linear.Softmax{Classes: len(f.Classes), Dim: dim, Bias: slices.Clone(f.Bias)}
	for k, w := range f.Weights {
		if err := finiteVector(w, dim); err != nil {
			return fmt.Errorf("weights of class %d: %w", f.Classes[k], err)
		}
		lr.Weights = append(lr.Weights, w...)
	}
	if err := finiteVector(f.Bias, len(f.Classes)); err != nil {
		return fmt.Errorf("bias: %w", err)
	}
	d.tslr, err = riemann.NewTSLR(f.Classes, ref, lr)
	return err
}
