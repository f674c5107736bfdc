//go:build !race

package bciloop

const raceEnabled = false
