package riemann

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// classIndex returns the sorted distinct labels (numpy.unique) and each
// item's index among them.
func classIndex(labels []int) (classes, idx []int) {
	classes = slices.Clone(labels)
	slices.Sort(classes)
	classes = slices.Compact(classes)
	idx = make([]int, len(labels))
	for i, l := range labels {
		idx[i], _ = slices.BinarySearch(classes, l)
	}
	return classes, idx
}

// MDM is a trained minimum-distance-to-mean classifier, pyriemann's
// MDM(metric="riemann"): class k's centroid is the Riemannian mean of its
// training matrices, and a matrix goes to the class at the smallest
// Riemannian distance. It is not safe for concurrent use (the distances
// keep scratch space); Clone gives another goroutine its own.
type MDM struct {
	classes []int
	means   []*mat.SymDense
	dist    []Distancer
}

// TrainMDM fits an MDM on the SPD matrices covs with integer labels (any
// values; the classes are the distinct labels, ascending, as
// numpy.unique). Each centroid is Mean(cfg) of its class. An error
// reports mismatched lengths, fewer than two classes, or a failed mean.
func TrainMDM(covs []*mat.SymDense, labels []int, cfg MeanConfig) (*MDM, error) {
	if len(covs) != len(labels) {
		return nil, fmt.Errorf("riemann: mdm: %d matrices, %d labels", len(covs), len(labels))
	}
	classes, idx := classIndex(labels)
	if len(classes) < 2 {
		return nil, fmt.Errorf("riemann: mdm: %d classes, want ≥ 2", len(classes))
	}
	means := make([]*mat.SymDense, len(classes))
	for k, c := range classes {
		var members []*mat.SymDense
		for i, j := range idx {
			if j == k {
				members = append(members, covs[i])
			}
		}
		m, _, err := Mean(nil, members, nil, cfg)
		if err != nil {
			return nil, fmt.Errorf("riemann: mdm: class %d: %w", c, err)
		}
		means[k] = m
	}
	return NewMDM(classes, means)
}

// NewMDM returns the MDM with the given class labels and centroids (e.g.
// read from a model file; copied). An error reports mismatched lengths,
// repeated classes or a centroid that is not SPD.
func NewMDM(classes []int, means []*mat.SymDense) (*MDM, error) {
	if len(classes) != len(means) || len(classes) < 2 {
		return nil, fmt.Errorf("riemann: mdm: %d classes and %d centroids, want as many and ≥ 2", len(classes), len(means))
	}
	sorted := slices.Clone(classes)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(classes) {
		return nil, fmt.Errorf("riemann: mdm: classes %v repeat", classes)
	}
	m := &MDM{classes: slices.Clone(classes), dist: make([]Distancer, len(means))}
	n := means[0].SymmetricDim()
	for k, c := range means {
		if c.SymmetricDim() != n {
			return nil, fmt.Errorf("riemann: mdm: centroid %d is %d×%d, centroid 0 %d×%d", k, c.SymmetricDim(), c.SymmetricDim(), n, n)
		}
		cp := mat.NewSymDense(n, nil)
		cp.CopySym(c)
		m.means = append(m.means, cp)
		if err := m.dist[k].SetReference(cp); err != nil {
			return nil, fmt.Errorf("riemann: mdm: centroid %d: %w", k, err)
		}
	}
	return m, nil
}

// Clone returns an MDM with the same centroids and its own scratch space.
func (m *MDM) Clone() *MDM {
	c, err := NewMDM(m.classes, m.means)
	if err != nil {
		panic("riemann: mdm: clone: " + err.Error())
	}
	return c
}

// Classes returns the class labels, ascending.
func (m *MDM) Classes() []int { return slices.Clone(m.classes) }

// Dim returns the matrices' size.
func (m *MDM) Dim() int { return m.means[0].SymmetricDim() }

// Centroid returns a copy of class k's centroid (k indexes Classes).
func (m *MDM) Centroid(k int) *mat.SymDense {
	c := mat.NewSymDense(m.Dim(), nil)
	c.CopySym(m.means[k])
	return c
}

// Distances writes the Riemannian distance of c to every centroid into dst
// (length len(Classes); nil allocates) and returns it, pyriemann's
// MDM.transform. An error reports c of the wrong size or not SPD.
func (m *MDM) Distances(dst []float64, c mat.Symmetric) ([]float64, error) {
	if dst == nil {
		dst = make([]float64, len(m.classes))
	} else if len(dst) != len(m.classes) {
		panic(fmt.Sprintf("riemann: mdm: dst has length %d, want %d", len(dst), len(m.classes)))
	}
	for k := range m.dist {
		d, err := m.dist[k].Distance(c)
		if err != nil {
			return dst, fmt.Errorf("riemann: mdm: class %d: %w", m.classes[k], err)
		}
		dst[k] = d
	}
	return dst, nil
}

// Predict returns the label of the nearest centroid (the first on ties,
// as numpy's argmin). Errors as Distances.
func (m *MDM) Predict(c mat.Symmetric) (int, error) {
	d, err := m.Distances(nil, c)
	if err != nil {
		return 0, err
	}
	best := 0
	for k, v := range d {
		if v < d[best] {
			best = k
		}
	}
	return m.classes[best], nil
}

// Probabilities writes softmax(−δ²) over the classes into dst (length
// len(Classes); nil allocates) and returns it, pyriemann's
// MDM.predict_proba. Errors as Distances.
func (m *MDM) Probabilities(dst []float64, c mat.Symmetric) ([]float64, error) {
	dst, err := m.Distances(dst, c)
	if err != nil {
		return dst, err
	}
	for k, d := range dst {
		dst[k] = -d * d
	}
	softmax(dst)
	return dst, nil
}

// softmax replaces s by exp(s − max)/Σ exp(s − max).
func softmax(s []float64) {
	mx := slices.Max(s)
	var z float64
	for k, v := range s {
		s[k] = math.Exp(v - mx)
		z += s[k]
	}
	for k := range s {
		s[k] /= z
	}
}
