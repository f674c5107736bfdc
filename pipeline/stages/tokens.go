package stages

import (
	"fmt"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/tokenizer"
)

// TokensConfig configures the tokens stage: every channel is turned into
// one time-frequency motif token per 0.5 s frame with a vocabulary from
// `neurostream train tokenizer` (docs/tokenizer.md), and, when the
// vocabulary has power levels for the channel's type, the frame's power
// levels. Rows are of kind tokens (docs/schemas.md).
//
// The session must be at the tokenizer's 200 Hz: add a resample
// preprocess step (its streamed output equals a one-shot resample, so the
// tokens equal tokenizer.Tokenizer.Tokenize of the resampled recording).
// Frame j's token depends on samples [(j−c)·100, (j+c)·100+200) only, c
// the vocabulary's context; window k (samples [k·hop, k·hop+length))
// writes the frames whose span ends in its last hop (window 0 also those
// before), so every frame is written once, by a window fixed by the frame
// alone: the same rows come out live, in replay and after a restart. That
// needs length ≥ the span (2 s for context 1) and hop ≤ length − span +
// 0.5 s; other windows are refused when the first one arrives.
type TokensConfig struct {
	// Vocab is the vocabulary file (Arrow IPC). Required; read when the
	// stage is built, so `config validate` checks it.
	Vocab string `mapstructure:"vocab"`
	// Channels are the labels of the channels to tokenize, in this order.
	// Default: the picked channels.
	Channels []string `mapstructure:"channels"`
	// ChannelPicks selects the channels (picks, exclude) when Channels is
	// not given. Default: the data channels (eeg, meg_mag, meg_grad).
	ChannelPicks `mapstructure:",squash"`
}

// Validate reports each problem with its key (relative to the stage).
func (c *TokensConfig) Validate() []error {
	errs := append(c.ChannelPicks.validate(), c.ChannelPicks.exclusive("channels", c.Channels)...)
	if c.Vocab == "" {
		errs = append(errs, fmt.Errorf("vocab: required (a file from `neurostream train tokenizer`)"))
	}
	errs = append(errs, validateLabels("channels", c.Channels)...)
	return errs
}

// Tokens builds tokens stage instances.
type Tokens struct {
	name  string
	cfg   TokensConfig
	vocab *tokenizer.Vocabulary // shared read-only by the sessions
}

// NewTokens returns the tokens stage builder; cfg must have passed
// Validate. It reads the vocabulary file; an error names the key.
func NewTokens(name string, cfg TokensConfig) (*Tokens, error) {
	v, err := tokenizer.ReadFile(cfg.Vocab)
	if err != nil {
		return nil, fmt.Errorf("vocab: %w", err)
	}
	return &Tokens{name: name, cfg: cfg, vocab: v}, nil
}

// Name implements pipeline.StageBuilder.
func (t *Tokens) Name() string { return t.name }

// NewSession implements pipeline.StageBuilder. It fails when a
// configured channel is not in the session,
// the session is not at 200 Hz or its windows are shorter than a token's
// span.
func (t *Tokens) NewSession(si pipeline.SessionInfo) (pipeline.Stage, error) {
	v := t.vocab
	if si.SampleRate != tokenizer.SampleRate {
		msg := fmt.Sprintf("tokens: the session is at %g Hz, the tokenizer at %d Hz", si.SampleRate, tokenizer.SampleRate)
		if up, down, err := tokenizer.Ratio(si.SampleRate); err == nil {
			msg += fmt.Sprintf(": add the preprocess step {type: resample, up: %d, down: %d}", up, down)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	span := int64(v.Features.SupportLen())
	if si.WindowLength < span {
		return nil, fmt.Errorf("tokens: windows of %d samples are shorter than a token's span of %d samples (%g s at 200 Hz, context ±%d frames)",
			si.WindowLength, span, float64(span)/tokenizer.SampleRate, v.Features.Context)
	}
	idx, err := pickChannels("tokens", t.cfg.Channels, &t.cfg.ChannelPicks, si.Channels)
	if err != nil {
		return nil, err
	}
	st := &tokensSession{
		tk:     v.NewTokenizer(),
		idx:    idx,
		length: si.WindowLength,
		ctx:    int64(v.Features.Context),
		span:   span,
		rows:   arrowout.NewTokensRows(nil),
	}
	for _, i := range idx {
		st.labels = append(st.labels, si.Channels[i].Label)
		st.kinds = append(st.kinds, string(si.Channels[i].Type))
		st.labelBytes = max(st.labelBytes, len(si.Channels[i].Label)+len(si.Session))
	}
	return st, nil
}

type tokensSession struct {
	tk         *tokenizer.Tokenizer
	idx        []int
	labels     []string
	kinds      []string // channel types, for the power levels
	labelBytes int
	length     int64 // window length in samples
	ctx, span  int64
	buf        []tokenizer.Token
	levels     []int32 // one row's power levels
	rows       *arrowout.TokensRows
}

// floorDiv is ⌊a/b⌋ for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// frames returns the frames window w writes: [from, to).
func (s *tokensSession) frames(w *pipeline.Window) (from, to int64, err error) {
	start := w.StartSample
	end := start + int64(len(w.Data[0]))
	// The last frame whose span ends by the window's end.
	to = floorDiv(end-tokenizer.NFFT, tokenizer.Hop) - s.ctx + 1
	switch {
	case w.Event != nil:
		// Event-locked windows are not on the hop clock: every frame
		// inside the window.
		from = floorDiv(start+tokenizer.Hop-1, tokenizer.Hop) + s.ctx
	case w.Window == 0:
		from = s.ctx
	default:
		// Window k starts at k·hop: frames whose span ends after the
		// previous window's end.
		hop := start / w.Window
		prevEnd := end - hop
		from = floorDiv(prevEnd-tokenizer.NFFT, tokenizer.Hop) - s.ctx + 1
		if (from-s.ctx)*tokenizer.Hop < start {
			return 0, 0, fmt.Errorf("tokens: window hop %d samples is too long for windows of %d samples: frame %d's span [%d, %d) starts before window %d (use hop ≤ length − %d)",
				hop, s.length, from, (from-s.ctx)*tokenizer.Hop, (from+s.ctx)*tokenizer.Hop+tokenizer.NFFT, w.Window, s.span-tokenizer.Hop)
		}
	}
	from = max(from, s.ctx)
	return from, max(from, to), nil
}

// Process writes the tokens of the frames this window owns, per channel.
func (s *tokensSession) Process(w *pipeline.Window) ([]arrowout.Result, error) {
	from, to, err := s.frames(w)
	if err != nil {
		return nil, err
	}
	if to <= from {
		return nil, nil
	}
	s.rows.Reserve(len(s.idx)*int(to-from), s.labelBytes)
	for i, c := range s.idx {
		s.buf = s.tk.AppendFrames(s.buf[:0], w.Data[c], w.StartSample, from, to)
		v := s.tk.Vocabulary()
		for j := range s.buf {
			t := &s.buf[j]
			var levels []int32 // nil: null
			if v.HasLevels(s.kinds[i]) {
				s.levels = v.AppendLevels(s.levels[:0], s.kinds[i], t)
				levels = s.levels
			}
			s.rows.AppendLevels(w.WindowKey, s.labels[i], t.Frame, t.ID, t.Distance, levels)
		}
	}
	return []arrowout.Result{{Kind: arrowout.KindTokens, Key: w.WindowKey, Record: s.rows.Flush()}}, nil
}
