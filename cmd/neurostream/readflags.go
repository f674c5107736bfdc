package main

import (
	"github.com/spf13/pflag"

	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/pipeline/config"
)

// readNames are the flags of readFlags by the names errors give them.
var readNames = config.TextOptionNames{SampleRate: "--rate", Unit: "--unit", TimeColumn: "--time-column",
	MarkerColumn: "--marker-column", ChannelLabels: "--channel-labels"}

// readTargets are where a command keeps the options that say how its
// recordings are read: run's source.files options.
type readTargets struct {
	rate                                         *float64
	unit, timeColumn, markerColumn, channelFiles *string
	channelLabels                                *[]string
}

// filesTargets keeps the options in f.
func filesTargets(f *config.Files) readTargets {
	return readTargets{&f.SampleRate, &f.Unit, &f.TimeColumn, &f.MarkerColumn, &f.ChannelFiles, &f.ChannelLabels}
}

// textTargets keeps the options in t and channelFiles.
func textTargets(t *text.Options, channelFiles *string) readTargets {
	return readTargets{&t.SampleRate, &t.Unit, &t.TimeColumn, &t.MarkerColumn, channelFiles, &t.Labels}
}

// readFlags binds the flags every command that reads recordings takes,
// under the same names (source.files' options): --rate, --unit,
// --time-column, --marker-column, --channel-files, --channel-labels.
func readFlags(f *pflag.FlagSet, t readTargets) {
	f.Float64Var(t.rate, "rate", 0, "sample rate in Hz of plain-text recordings (e.g. 173.61 for the Bonn data)")
	f.StringVar(t.unit, "unit", "uV", "unit of plain-text values: V, mV, uV or nV")
	f.StringVar(t.timeColumn, "time-column", "", "CSV column of timestamps in seconds (not a channel; gives the rate without --rate)")
	f.StringVar(t.markerColumn, "marker-column", "", "CSV column of event codes (not a channel; they become annotations)")
	f.StringVar(t.channelFiles, "channel-files", "", `recordings stored one channel per file: a file-name pattern ("ch*.inp"); each folder of such files is one recording`)
	f.StringSliceVar(t.channelLabels, "channel-labels", nil, "labels of plain-text channels, in order (instead of their header or file names)")
}
