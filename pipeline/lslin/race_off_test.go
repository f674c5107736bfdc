//go:build !race

package lslin

const raceEnabled = false
