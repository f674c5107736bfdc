package seizure_test

import (
	"fmt"
	"math"

	"github.com/neurostream/neurostream/models/seizure"
)

func ExampleExtractor() {
	ex, err := seizure.NewExtractor(seizure.FeatureConfig{SampleRate: 256, WindowLen: 1024, Channels: 1})
	if err != nil {
		panic(err)
	}
	x := make([]float64, 1024)
	for i := range x {
		x[i] = 50e-6 * math.Sin(2*math.Pi*10*float64(i)/256) // 10 Hz, 50 µV: variance 1.25e-9 V²
	}
	feat := ex.Features(nil, [][]float64{x})
	for i, name := range ex.Names() {
		if name == "ch0_log_variance" || name == "ch0_rel_power_alpha" || name == "ch0_spectral_edge_90" {
			fmt.Printf("%s %.2f\n", name, feat[i])
		}
	}
	// Output:
	// ch0_log_variance -8.90
	// ch0_rel_power_alpha 1.00
	// ch0_spectral_edge_90 10.48
}

func ExampleAUROC() {
	scores := []float64{0.35, 0.1, 0.4, 0.8, 0.35}
	labels := []bool{true, false, false, true, false}
	fmt.Println(seizure.AUROC(scores, labels))
	// Output: 0.75
}
