package pipeline

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the runtime's Prometheus series. Build them with NewMetrics
// on the registerer the caller owns (nothing is registered globally) and
// pass them in Options; a nil *Metrics records nothing.
type Metrics struct {
	chunks      prometheus.Counter
	windows     prometheus.Counter
	deadLetters *prometheus.CounterVec
	stageTime   *prometheus.HistogramVec
	sinkTime    *prometheus.HistogramVec
	sessions    prometheus.Gauge
	endedC      *prometheus.CounterVec
	stageErrors *prometheus.CounterVec
	failedG     prometheus.Gauge
	ckSaved     prometheus.Counter
	ckLoads     *prometheus.CounterVec
	ckSkipped   prometheus.Counter
}

// NewMetrics registers the runtime's series on reg:
//
//	neurostream_chunks_total                 chunks decoded and accepted
//	neurostream_windows_total                windows analysed
//	neurostream_dead_letters_total{reason}   messages set aside, by reason
//	neurostream_stage_seconds{stage}         per-window stage latency
//	neurostream_sink_seconds{sink}           per-write sink latency, by sink type
//	neurostream_sessions                     sessions with state in memory
//	neurostream_sessions_ended_total{reason} sessions ended: final, idle, end_of_input
//	neurostream_stage_errors_total{stage}    windows a stage failed on
//	neurostream_pipeline_failed              1 once a sink failure stopped the run
//	neurostream_checkpoints_saved_total      session checkpoints saved (Options.State)
//	neurostream_checkpoint_loads_total{result} sessions started with a checkpoint looked up:
//	                                         restored, none, ended, stale, invalid, error
//	neurostream_checkpoint_skipped_chunks_total re-read chunks a checkpoint covered
func NewMetrics(reg prometheus.Registerer) *Metrics {
	buckets := prometheus.ExponentialBuckets(1e-5, 2.5, 14) // 10 µs … 1.5 s
	m := &Metrics{
		chunks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "neurostream_chunks_total", Help: "Wire chunks decoded and accepted.",
		}),
		windows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "neurostream_windows_total", Help: "Analysis windows processed.",
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "neurostream_dead_letters_total", Help: "Messages sent to the dead-letter sink, by reason.",
		}, []string{"reason"}),
		stageTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "neurostream_stage_seconds", Help: "Time one stage takes for one window.", Buckets: buckets,
		}, []string{"stage"}),
		sinkTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "neurostream_sink_seconds", Help: "Time one sink write takes (for an asynchronous sink, until the results are handed over).", Buckets: buckets,
		}, []string{"sink"}),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "neurostream_sessions", Help: "Sessions whose state is held in memory.",
		}),
		endedC: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "neurostream_sessions_ended_total", Help: "Sessions ended, by reason (final, idle, end_of_input).",
		}, []string{"reason"}),
		stageErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "neurostream_stage_errors_total", Help: "Windows (or session ends) a stage failed on; each is a stage_error dead letter.",
		}, []string{"stage"}),
		failedG: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "neurostream_pipeline_failed", Help: "1 once a sink or dead-letter sink failure stopped the run.",
		}),
		ckSaved: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "neurostream_checkpoints_saved_total", Help: "Session checkpoints saved to the state store.",
		}),
		ckLoads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "neurostream_checkpoint_loads_total",
			Help: "Sessions started in this process whose checkpoint was looked up, by result: restored, none, ended (a new session after an ended one), stale, invalid, error (the last three warm up instead).",
		}, []string{"result"}),
		ckSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "neurostream_checkpoint_skipped_chunks_total", Help: "Re-read chunks acknowledged unprocessed because a checkpoint covered them.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.chunks, m.windows, m.deadLetters, m.stageTime, m.sinkTime, m.sessions, m.endedC, m.stageErrors, m.failedG,
			m.ckSaved, m.ckLoads, m.ckSkipped)
	}
	return m
}

func (m *Metrics) chunk() {
	if m != nil {
		m.chunks.Inc()
	}
}

func (m *Metrics) window(n int64) {
	if m != nil {
		m.windows.Add(float64(n))
	}
}

func (m *Metrics) deadLetter(reason string) {
	if m != nil {
		m.deadLetters.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) stage(name string, d time.Duration) {
	if m != nil {
		m.stageTime.WithLabelValues(name).Observe(d.Seconds())
	}
}

func (m *Metrics) sink(name string, d time.Duration) {
	if m != nil {
		m.sinkTime.WithLabelValues(name).Observe(d.Seconds())
	}
}

func (m *Metrics) session(delta float64) {
	if m != nil {
		m.sessions.Add(delta)
	}
}

func (m *Metrics) ended(reason string) {
	if m != nil {
		m.endedC.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) stageError(stage string) {
	if m != nil {
		m.stageErrors.WithLabelValues(stage).Inc()
	}
}

func (m *Metrics) failed() {
	if m != nil {
		m.failedG.Set(1)
	}
}

func (m *Metrics) checkpointSaved() {
	if m != nil {
		m.ckSaved.Inc()
	}
}

func (m *Metrics) checkpointLoad(result string) {
	if m != nil {
		m.ckLoads.WithLabelValues(result).Inc()
	}
}

func (m *Metrics) checkpointSkip() {
	if m != nil {
		m.ckSkipped.Inc()
	}
}
