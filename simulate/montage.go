package simulate

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/neurostream/neurostream/formats"
)

// sensor is one channel with what the generators need to project onto it.
type sensor struct {
	label string
	typ   formats.ChannelType
	unit  string
	pos   [3]float64 // m, head frame
	// dir is the gradiometer baseline direction (unit vector); zero for
	// EEG and magnetometers.
	dir [3]float64
	// scale converts volt-equivalents to the channel's unit.
	scale float64
	// group is 0 for EEG and magnetometers, 1 for gradiometers: spatial
	// weights are normalised per group.
	group int
}

// angle1020 holds the idealised spherical 10-20 positions: polar angle
// from the vertex (Cz) and azimuth from the nose towards the right ear, in
// degrees. These are the BESA/EEGLAB spherical coordinates rewritten in
// MNE's head frame.
var angle1020 = map[string][2]float64{
	"Fp1": {90, -18}, "Fpz": {90, 0}, "Fp2": {90, 18},
	"F7": {90, -54}, "F3": {60, -39}, "Fz": {45, 0}, "F4": {60, 39}, "F8": {90, 54},
	"T3": {90, -90}, "C3": {45, -90}, "Cz": {0, 0}, "C4": {45, 90}, "T4": {90, 90},
	"T5": {90, -126}, "P3": {60, -141}, "Pz": {45, 180}, "P4": {60, 141}, "T6": {90, 126},
	"O1": {90, -162}, "Oz": {90, 180}, "O2": {90, 162},
}

// alias1020 maps the 10-10 names of the temporal electrodes to the 10-20
// ones at the same place.
var alias1020 = map[string]string{"T7": "T3", "T8": "T4", "P7": "T5", "P8": "T6"}

// position1020 is the set of accepted labels (angle1020 plus aliases).
var position1020 = func() map[string]bool {
	m := map[string]bool{}
	for k := range angle1020 {
		m[k] = true
	}
	for k := range alias1020 {
		m[k] = true
	}
	return m
}()

var known1020 = func() string {
	l := make([]string, 0, len(position1020))
	for k := range position1020 {
		l = append(l, k)
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}()

func canonical1020(l string) string {
	if a, ok := alias1020[l]; ok {
		return a
	}
	return l
}

// spherical returns the point at radius r, polar angle theta from +z and
// azimuth phi from +y towards +x, angles in degrees.
func spherical(r, theta, phi float64) [3]float64 {
	t, p := theta*math.Pi/180, phi*math.Pi/180
	return [3]float64{r * math.Sin(t) * math.Sin(p), r * math.Sin(t) * math.Cos(p), r * math.Cos(t)}
}

// fibonacciCap returns n points spread evenly over the cap of the unit
// sphere within maxTheta degrees of +z, as (theta, phi) in degrees.
func fibonacciCap(n int, maxTheta float64) [][2]float64 {
	out := make([][2]float64, n)
	zmin := math.Cos(maxTheta * math.Pi / 180)
	golden := math.Pi * (3 - math.Sqrt(5))
	for i := range out {
		z := 1 - (1-zmin)*(float64(i)+0.5)/float64(n)
		out[i] = [2]float64{math.Acos(z) * 180 / math.Pi, math.Mod(float64(i)*golden, 2*math.Pi) * 180 / math.Pi}
	}
	return out
}

// buildSensors lays out the channels of a validated, defaulted montage.
func buildSensors(m Montage) []sensor {
	if m.Kind == "meg" {
		return buildMEG(m)
	}
	if len(m.Labels) == 0 {
		pts := fibonacciCap(m.Channels, 100)
		s := make([]sensor, len(pts))
		for i, p := range pts {
			s[i] = sensor{label: fmt.Sprintf("E%d", i+1), typ: formats.EEG, unit: "V", pos: spherical(m.HeadRadius, p[0], p[1]), scale: 1}
		}
		return s
	}
	s := make([]sensor, len(m.Labels))
	for i, l := range m.Labels {
		a := angle1020[canonical1020(l)]
		s[i] = sensor{label: l, typ: formats.EEG, unit: "V", pos: spherical(m.HeadRadius, a[0], a[1]), scale: 1}
	}
	return s
}

// buildMEG lays out Locations triplets on a spherical helmet covering the
// head down to 105° from the vertex (below the ears at the sides). Labels
// follow the Neuromag "MEGxxxN" pattern, N = 1 magnetometer, 2 and 3 the
// gradiometers along the local latitude (e_phi) and longitude (e_theta).
func buildMEG(m Montage) []sensor {
	var out []sensor
	for i, p := range fibonacciCap(m.Locations, 105) {
		pos := spherical(m.HelmetRadius, p[0], p[1])
		t, f := p[0]*math.Pi/180, p[1]*math.Pi/180
		eTheta := [3]float64{math.Cos(t) * math.Sin(f), math.Cos(t) * math.Cos(f), -math.Sin(t)}
		ePhi := [3]float64{math.Cos(f), -math.Sin(f), 0}
		base := fmt.Sprintf("MEG%03d", i+1)
		if m.Sensors != "grad" {
			out = append(out, sensor{label: base + "1", typ: formats.MEGMag, unit: "T", pos: pos, scale: m.MagScale})
		}
		if m.Sensors != "mag" {
			out = append(out,
				sensor{label: base + "2", typ: formats.MEGGrad, unit: "T/m", pos: pos, dir: ePhi, scale: m.GradScale, group: 1},
				sensor{label: base + "3", typ: formats.MEGGrad, unit: "T/m", pos: pos, dir: eTheta, scale: m.GradScale, group: 1})
		}
	}
	return out
}

func dist(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

// kernel is the spatial weight of a generator at g on sensor s for a
// field of Gaussian width spread (m): exp(-d²/(2·spread²)) for EEG and
// magnetometers, and for a planar gradiometer the derivative of that along
// its baseline times spread (dimensionless, largest at d = spread).
func kernel(s *sensor, g [3]float64, spread float64) float64 {
	d := [3]float64{s.pos[0] - g[0], s.pos[1] - g[1], s.pos[2] - g[2]}
	k := math.Exp(-(d[0]*d[0] + d[1]*d[1] + d[2]*d[2]) / (2 * spread * spread))
	if s.group == 0 {
		return k
	}
	return -k * (d[0]*s.dir[0] + d[1]*s.dir[1] + d[2]*s.dir[2]) / spread
}

// fieldWeights returns, per sensor, the weights of the generators at gs
// (one row per sensor, one column per generator), scaled per sensor group
// so the sensor with the largest root-sum-square weight in each group has
// exactly 1.
func fieldWeights(sensors []sensor, gs [][3]float64, spread float64) [][]float64 {
	w := make([][]float64, len(sensors))
	var maxRSS [2]float64
	for i := range sensors {
		w[i] = make([]float64, len(gs))
		var ss float64
		for j, g := range gs {
			w[i][j] = kernel(&sensors[i], g, spread)
			ss += w[i][j] * w[i][j]
		}
		maxRSS[sensors[i].group] = math.Max(maxRSS[sensors[i].group], math.Sqrt(ss))
	}
	for i := range w {
		if m := maxRSS[sensors[i].group]; m > 0 {
			for j := range w[i] {
				w[i][j] /= m
			}
		}
	}
	return w
}

// Generator positions (head frame, m), expressed relative to the EEG head
// radius r.
func alphaGenerators(r float64) [][3]float64 {
	return [][3]float64{spherical(0.75*r, 75, -155), spherical(0.75*r, 75, 155)}
}

func ssvepGenerator(r float64) [][3]float64 {
	return [][3]float64{spherical(0.75*r, 85, 180)}
}

// eyes are in front of and below Fp1/Fp2.
func eyePositions(r float64) [][3]float64 {
	s := r / 0.095
	return [][3]float64{{-0.032 * s, 0.085 * s, -0.035 * s}, {0.032 * s, 0.085 * s, -0.035 * s}}
}

// temporalFocus is the default seizure onset point: between T3 and T5.
func temporalFocus(r float64) [3]float64 {
	a, b := spherical(r, 90, -90), spherical(r, 90, -126)
	return [3]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2}
}
