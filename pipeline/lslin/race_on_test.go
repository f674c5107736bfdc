//go:build race

package lslin

// raceEnabled: under -race the process runs several times slower, so the
// timing of live pushes (and with it the time stamps' jitter) is not what
// the marker-placement bound assumes.
const raceEnabled = true
