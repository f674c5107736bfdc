//go:build race

package bciloop

// raceEnabled: under -race the process runs several times slower, so live
// time stamps jitter beyond what places a marker on its exact sample, and
// a trial's window can start a sample off.
const raceEnabled = true
