package stages

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/formats"
)

// ChannelPicks selects the channels a stage analyses, as MNE's picks and
// exclude arguments do: by default the data channels (MNE's
// picks='data'), so a stim channel's codes, an EOG or ECG trace or a misc
// channel in other units never enter a spectrum, a coherence matrix or an
// average next to the EEG or MEG.
type ChannelPicks struct {
	// Picks lists channel types and/or channel labels. Types: eeg,
	// meg_mag, meg_grad, eog, ecg, emg, stim, misc, MNE's mag, grad and
	// meg (both), data (eeg, meg_mag, meg_grad: MNE's data channels that
	// neurostream has) and all. A string that is a type and also a
	// session's channel label picks both, as in MNE. Channels come in the
	// session's order. Default: [data].
	Picks []string `mapstructure:"picks"`
	// Exclude lists channel labels left out of the picks; each must be a
	// channel of the session. Default: none.
	Exclude []string `mapstructure:"exclude"`
}

// pickTypes maps the type words of picks to channel types.
var pickTypes = map[string][]formats.ChannelType{
	"eeg":      {formats.EEG},
	"meg_mag":  {formats.MEGMag},
	"mag":      {formats.MEGMag},
	"meg_grad": {formats.MEGGrad},
	"grad":     {formats.MEGGrad},
	"meg":      {formats.MEGMag, formats.MEGGrad},
	"eog":      {formats.EOG},
	"ecg":      {formats.ECG},
	"emg":      {formats.EMG},
	"stim":     {formats.Stim},
	"misc":     {formats.Misc},
	"data":     {formats.EEG, formats.MEGMag, formats.MEGGrad},
	"all":      {formats.EEG, formats.MEGMag, formats.MEGGrad, formats.EOG, formats.ECG, formats.EMG, formats.Stim, formats.Misc},
}

// set reports whether picks or exclude were given.
func (p *ChannelPicks) set() bool { return len(p.Picks) > 0 || len(p.Exclude) > 0 }

// validate reports empty and repeated entries, each with its key.
func (p *ChannelPicks) validate() []error {
	var errs []error
	for _, l := range []struct {
		key  string
		list []string
	}{{"picks", p.Picks}, {"exclude", p.Exclude}} {
		for i, s := range l.list {
			if s == "" {
				errs = append(errs, fmt.Errorf("%s[%d]: empty", l.key, i))
			} else if j := slices.Index(l.list, s); j < i {
				errs = append(errs, fmt.Errorf("%s[%d]: %q repeats %s[%d]", l.key, i, s, l.key, j))
			}
		}
	}
	return errs
}

// indices returns the indices of the picked channels of chs, in chs'
// order. It fails when a pick is neither a type nor a label of chs, an
// excluded label is not in chs, or nothing is picked.
func (p *ChannelPicks) indices(chs []formats.Channel) ([]int, error) {
	picks := p.Picks
	if len(picks) == 0 {
		picks = []string{"data"}
	}
	in := make([]bool, len(chs))
	for i, s := range picks {
		types, isType := pickTypes[s]
		found := isType
		for c, ch := range chs {
			if ch.Label == s || slices.Contains(types, ch.Type) {
				in[c], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("picks[%d]: %q is neither a channel type (%s) nor a channel of this session (%s)",
				i, s, strings.Join(slices.Sorted(maps.Keys(pickTypes)), ", "), labelList(chs))
		}
	}
	for i, l := range p.Exclude {
		c, err := channelIndex(chs, l)
		if err != nil {
			return nil, fmt.Errorf("exclude[%d]: %w", i, err)
		}
		in[c] = false
	}
	var idx []int
	for c, ok := range in {
		if ok {
			idx = append(idx, c)
		}
	}
	if len(idx) == 0 {
		count := map[formats.ChannelType]int{}
		for _, ch := range chs {
			count[ch.Type]++
		}
		var has []string
		for _, t := range slices.Sorted(maps.Keys(count)) {
			has = append(has, fmt.Sprintf("%d %s", count[t], t))
		}
		what := fmt.Sprintf("picks %v", picks)
		if len(p.Exclude) > 0 {
			what += fmt.Sprintf(" less exclude %v", p.Exclude)
		}
		return nil, fmt.Errorf("picks: %s select no channel of this session (it has %s; data means eeg, meg_mag and meg_grad)",
			what, strings.Join(has, ", "))
	}
	return idx, nil
}

// labelList lists up to 20 channel labels of chs, for messages.
func labelList(chs []formats.Channel) string {
	names := make([]string, 0, min(len(chs), 20))
	for _, ch := range chs[:min(len(chs), 20)] {
		names = append(names, ch.Label)
	}
	s := strings.Join(names, ", ")
	if len(chs) > 20 {
		s += fmt.Sprintf(", … (%d in all)", len(chs))
	}
	return s
}

// channelIndex returns the index of the channel labelled label, or an
// error naming the label and the session's channels.
func channelIndex(chs []formats.Channel, label string) (int, error) {
	for i, ch := range chs {
		if ch.Label == label {
			return i, nil
		}
	}
	return 0, fmt.Errorf("channel %q is not in this session (channels: %s)", label, labelList(chs))
}

// pickChannels returns the indices of the channels a stage analyses: the
// listed labels in their order when given (a model's channel order),
// else the picks. what names the stage for errors; the listed labels and
// the picks exclude each other (Validate checks that).
func pickChannels(what string, labels []string, p *ChannelPicks, chs []formats.Channel) ([]int, error) {
	if len(labels) == 0 {
		idx, err := p.indices(chs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		return idx, nil
	}
	idx := make([]int, len(labels))
	for i, l := range labels {
		c, err := channelIndex(chs, l)
		if err != nil {
			return nil, fmt.Errorf("%s: channels: %w", what, err)
		}
		idx[i] = c
	}
	return idx, nil
}

// validateLabels reports empty and repeated labels of the channel list
// key.
func validateLabels(key string, labels []string) []error {
	var errs []error
	for i, l := range labels {
		if l == "" {
			errs = append(errs, fmt.Errorf("%s[%d]: empty label", key, i))
		} else if j := slices.Index(labels, l); j < i {
			errs = append(errs, fmt.Errorf("%s[%d]: %q repeats %s[%d]", key, i, l, key, j))
		}
	}
	return errs
}

// exclusive reports picks/exclude given together with a channel list.
func (p *ChannelPicks) exclusive(key string, list []string) []error {
	if len(list) > 0 && p.set() {
		return []error{fmt.Errorf("picks/exclude: not used with %s, which names the channels already: give one", key)}
	}
	return nil
}
