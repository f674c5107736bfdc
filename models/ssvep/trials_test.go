package ssvep_test

import (
	"slices"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/models/ssvep"
)

func TestEventTrials(t *testing.T) {
	const rate = 10.0
	data := [][]float64{make([]float64, 100), make([]float64, 100)}
	for i := range data[0] {
		data[0][i] = float64(i)
		data[1][i] = -float64(i)
	}
	events := []formats.Annotation{
		{Onset: 1, Description: "a"},
		{Onset: 2, Description: "ignored"},
		{Onset: 3.04, Description: "rest"},
		{Onset: 8, Description: "b"},    // runs past the end
		{Onset: -0.5, Description: "a"}, // starts before the first sample
	}
	codes := map[string]int{"a": 0, "b": 1, "rest": ssvep.Rest}
	trials, labels, skipped := ssvep.EventTrials(data, rate, events, codes, 0.2, 2.5)
	if !slices.Equal(labels, []int{0, ssvep.Rest}) || skipped != 2 {
		t.Fatalf("labels %v skipped %d, want [0 -1] and 2", labels, skipped)
	}
	if len(trials[0]) != 2 || len(trials[0][0]) != 25 || trials[0][0][0] != 12 || trials[0][1][24] != -36 {
		t.Fatalf("trial 0 = %v", trials[0])
	}
	if trials[1][0][0] != 32 { // round((3.04+0.2)·10)
		t.Fatalf("trial 1 starts at %v, want 32", trials[1][0][0])
	}
	trials[0][0][0] = 99
	if data[0][12] != 12 {
		t.Fatal("trials share memory with data")
	}
}
