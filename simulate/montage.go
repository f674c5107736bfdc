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

// rows1010 are the rows of the 10-10 system between the Fp and O rows:
// the label prefix, the prefix of the row's ends (FT7, T7, TP7), the polar
// angle and azimuth of the midline electrode and the azimuth of the right
// end on the equator. The row is the circle through its two ends and its
// midline electrode; electrode n lies ⌈n/2⌉/4 of the arc from the midline
// to the end (odd n left, even right), as the 10-10 percentages along a
// row put it. On the idealised sphere this gives back the 10-20 table's
// F3, C3 and P3 within 0.4°.
var rows1010 = []row1010{
	{"AF", "AF", 67.5, 0, 36},
	{"F", "F", 45, 0, 54},
	{"FC", "FT", 22.5, 0, 72},
	{"C", "T", 0, 0, 90},
	{"CP", "TP", 22.5, 180, 108},
	{"P", "P", 45, 180, 126},
	{"PO", "PO", 67.5, 180, 144},
}

type row1010 struct {
	prefix, end       string
	theta, midAzimuth float64
	endAzimuth        float64
}

// angle1010Low holds the 10-10 electrodes of the ring 10 % below the
// equator (polar angle 112.5°) that caps use.
var angle1010Low = map[string]float64{
	"F9": -54, "F10": 54, "FT9": -72, "FT10": 72, "T9": -90, "T10": 90,
	"TP9": -108, "TP10": 108, "P9": -126, "P10": 126, "I1": -162, "Iz": 180, "I2": 162,
}

// angle1010 holds every accepted EEG label (10-20, aliases, 10-10) with
// its polar angle and azimuth in degrees, as angle1020.
var angle1010 = func() map[string][2]float64 {
	m := map[string][2]float64{}
	for k, a := range angle1020 {
		m[k] = a
	}
	for k, v := range alias1020 {
		m[k] = m[v]
	}
	for k, az := range angle1010Low {
		m[k] = [2]float64{112.5, az}
	}
	for _, r := range rows1010 {
		mid := spherical(1, r.theta, r.midAzimuth)
		left, right := spherical(1, 90, -r.endAzimuth), spherical(1, 90, r.endAzimuth)
		m[r.prefix+"z"] = [2]float64{r.theta, r.midAzimuth}
		for n := 1; n <= 8; n++ {
			label := fmt.Sprintf("%s%d", r.prefix, n)
			if n >= 7 {
				label = fmt.Sprintf("%s%d", r.end, n)
			}
			if _, ok := m[label]; ok {
				continue // a 10-20 electrode: keep the table's angles
			}
			end := right
			if n%2 == 1 {
				end = left
			}
			p := arcPoint(mid, end, left, right, float64((n+1)/2)/4)
			m[label] = [2]float64{math.Acos(p[2]) * 180 / math.Pi, math.Atan2(p[0], p[1]) * 180 / math.Pi}
		}
	}
	return m
}()

var known1010 = func() string {
	l := make([]string, 0, len(angle1010))
	for k := range angle1010 {
		l = append(l, k)
	}
	sort.Strings(l)
	return strings.Join(l, " ")
}()

// canonical1010 maps a 10-10 alias to its 10-20 name, so one position is
// not listed twice.
func canonical1010(l string) string {
	if a, ok := alias1020[l]; ok {
		return a
	}
	return l
}

// arcPoint returns the point a fraction f of the way from mid to end
// along the circle through left, mid and right (all on the unit sphere;
// end is left or right). A circle through three points of a sphere lies
// on it.
func arcPoint(mid, end, left, right [3]float64, f float64) [3]float64 {
	sub := func(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
	dot := func(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
	cross := func(a, b [3]float64) [3]float64 {
		return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
	}
	// Circumcentre c of left, mid, right.
	ab, ac := sub(mid, left), sub(right, left)
	n := cross(ab, ac)
	t1, t2 := cross(n, ab), cross(ac, n)
	k := 2 * dot(n, n)
	var c [3]float64
	for i := range c {
		c[i] = left[i] + (dot(ac, ac)*t1[i]+dot(ab, ab)*t2[i])/k
	}
	// Rotate u = mid−c towards v = end−c by f of the angle between them.
	u, v := sub(mid, c), sub(end, c)
	r2 := dot(u, u)
	uv := dot(u, v) / r2
	theta := math.Acos(max(-1, min(1, uv)))
	w := sub(v, [3]float64{u[0] * uv, u[1] * uv, u[2] * uv})
	wn := math.Sqrt(dot(w, w) / r2)
	var p [3]float64
	for i := range p {
		p[i] = c[i] + math.Cos(f*theta)*u[i] + math.Sin(f*theta)*w[i]/wn
	}
	norm := math.Sqrt(dot(p, p))
	return [3]float64{p[0] / norm, p[1] / norm, p[2] / norm}
}

// default1020 is the 19-channel 10-20 montage, the default.
var default1020 = []string{"Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T3", "C3", "Cz", "C4", "T4", "T5", "P3", "Pz", "P4", "T6", "O1", "O2"}

// cover1020 orders default1020 so that its first n electrodes cover the
// head as evenly as n 10-20 electrodes can: montages of fewer than 19
// channels take these, listed in default1020's order.
var cover1020 = []string{"Cz", "O1", "O2", "Fz", "T3", "T4", "Pz", "Fp1", "Fp2", "C3", "C4", "F7", "F8", "T5", "T6", "F3", "F4", "P3", "P4"}

// extra1010 are the electrodes montages of more than 19 channels add after
// default1020, in this order: the rest of the 10-20 system, then the 10-10
// electrodes of a 64-channel cap (default1020 and these first 45 are the
// BioSemi 64 layout), then further 10-10 positions.
var extra1010 = []string{
	"Fpz", "Oz",
	"AF7", "AF3", "AFz", "AF4", "AF8",
	"F5", "F1", "F2", "F6",
	"FT7", "FC5", "FC3", "FC1", "FCz", "FC2", "FC4", "FC6", "FT8",
	"C5", "C1", "C2", "C6",
	"TP7", "CP5", "CP3", "CP1", "CPz", "CP2", "CP4", "CP6", "TP8",
	"P5", "P1", "P2", "P6",
	"PO7", "PO3", "POz", "PO4", "PO8",
	"P9", "P10", "Iz",
	"F9", "F10", "FT9", "FT10", "T9", "T10", "TP9", "TP10",
	"AF1", "AF2", "AF5", "AF6", "PO1", "PO2", "PO5", "PO6",
	"I1", "I2",
}

// max1010 is the largest montage with 10-20/10-10 labels; larger ones are
// numbered high-density caps.
var max1010 = len(default1020) + len(extra1010)

// eegLabels returns the labels of an n-channel montage: 10-20 electrodes
// first (a head-covering subset when n < 19), then 10-10 ones; nil when
// n > max1010 (a numbered cap, see buildSensors).
func eegLabels(n int) []string {
	switch {
	case n < len(default1020):
		pick := map[string]bool{}
		for _, l := range cover1020[:n] {
			pick[l] = true
		}
		var out []string
		for _, l := range default1020 {
			if pick[l] {
				out = append(out, l)
			}
		}
		return out
	case n <= max1010:
		return append(append([]string(nil), default1020...), extra1010[:n-len(default1020)]...)
	}
	return nil
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

// buildSensors lays out the channels of a validated, defaulted montage:
// the Labels given, else the Channels electrodes eegLabels names, else
// (more than max1010) a numbered cap "E1".."En" spread evenly (Fibonacci
// spiral) over the head down to 100° from the vertex, like a high-density
// net.
func buildSensors(m Montage) []sensor {
	if m.Kind == "meg" {
		return buildMEG(m)
	}
	labels := m.Labels
	if len(labels) == 0 {
		labels = eegLabels(m.channels())
	}
	if len(labels) == 0 {
		pts := fibonacciCap(m.channels(), 100)
		s := make([]sensor, len(pts))
		for i, p := range pts {
			s[i] = sensor{label: fmt.Sprintf("E%d", i+1), typ: formats.EEG, unit: "V", pos: spherical(m.HeadRadius, p[0], p[1]), scale: 1}
		}
		return s
	}
	s := make([]sensor, len(labels))
	for i, l := range labels {
		a := angle1010[l]
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
