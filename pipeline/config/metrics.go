package config

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/neurostream/neurostream/pipeline"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// ServeMetrics exposes /metrics (reg, with the Go and process collectors
// and, with Kafka, the source's and the sinks' counters added), /healthz
// (liveness) and /readyz (readiness) on addr (metrics.listen) until the
// returned stop is called, and returns the address it listens on.
// Consumer lag and the Kafka source's counters are read from the source;
// health from runner's Runner once it returns one.
func (b *Built) ServeMetrics(addr string, reg *prometheus.Registry, runner func() *pipeline.Runner) (string, func(), error) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ks := b.KafkaSource; ks != nil {
		// The sum of the per-partition lags; absent (not 0) while the log
		// ends cannot be read. Per partition: NewSourceCollector.
		reg.MustRegister(pkafka.NewSourceCollector(ks), sumLag{ks})
		for _, c := range []struct {
			name, help string
			v          func(pkafka.SourceStats) int64
		}{
			{"neurostream_kafka_fetch_errors_total", "Failed fetches from input partitions.", func(s pkafka.SourceStats) int64 { return s.FetchErrors }},
			{"neurostream_kafka_commit_errors_total", "Failed offset commits.", func(s pkafka.SourceStats) int64 { return s.CommitErrors }},
			{"neurostream_kafka_join_errors_total", "Failed attempts to join the consumer group.", func(s pkafka.SourceStats) int64 { return s.JoinErrors }},
			{"neurostream_kafka_generations_total", "Consumer-group generations this process took part in (rebalances).", func(s pkafka.SourceStats) int64 { return s.Generations }},
		} {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
				func() float64 { return float64(c.v(ks.Stats())) }))
		}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "neurostream_kafka_assigned_partitions", Help: "Input partitions assigned to this process in the current generation.",
		}, func() float64 { return float64(ks.Stats().Partitions) }))
	}
	if ks := b.KafkaSink; ks != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "neurostream_kafka_produce_errors_total", Help: "Result writes that failed after the writer's retries.",
		}, func() float64 { return float64(ks.Stats().Errors) }))
	}
	if kd := b.KafkaDeadLetters; kd != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "neurostream_kafka_dead_letter_errors_total", Help: "Dead-letter writes that failed after the writer's retries.",
		}, func() float64 { return float64(kd.Stats().Errors) }))
	}
	failure := func() error {
		if r := runner(); r != nil {
			return r.Failure()
		}
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	// Liveness: false once a sink failure stopped the workers, so an
	// orchestrator restarts a process that can no longer make progress.
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := failure(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "failed: %v\n", err)
			return
		}
		io.WriteString(w, "ok\n")
	})
	// Readiness: running, not failed, and (with a Kafka source) a member
	// of a consumer-group generation.
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		var why string
		switch {
		case runner() == nil:
			why = "starting"
		case failure() != nil:
			why = fmt.Sprintf("failed: %v", failure())
		case b.KafkaSource != nil:
			if ok, reason := b.KafkaSource.Ready(); !ok {
				why = reason
			}
		}
		if why != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, why+"\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	ln, err := net.Listen("tcp", metricsAddr(addr))
	if err != nil {
		return "", nil, fmt.Errorf("metrics.listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// metricsAddr is metrics.listen with host 127.0.0.1 where it names none
// (":9464", "9464"): the endpoints have no authentication, so they reach
// other interfaces only where the configuration names them
// ("0.0.0.0:9464"; docs/operations.md, "Security").
func metricsAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	switch {
	case err != nil && strings.Trim(listen, "0123456789") == "":
		return net.JoinHostPort("127.0.0.1", listen) // a port alone
	case err == nil && host == "":
		return net.JoinHostPort("127.0.0.1", port)
	}
	return listen // net.Listen reports what is wrong with it
}

// sumLag exports neurostream_consumer_lag, the source's total lag, only
// while it is known.
type sumLag struct{ src *pkafka.Source }

var sumLagDesc = prometheus.NewDesc("neurostream_consumer_lag",
	"Messages behind the log end over the assigned input partitions (committed offsets); absent while unknown.", nil, nil)

func (l sumLag) Describe(ch chan<- *prometheus.Desc) { ch <- sumLagDesc }
func (l sumLag) Collect(ch chan<- prometheus.Metric) {
	if lag := l.src.Lag(); lag >= 0 {
		ch <- prometheus.MustNewConstMetric(sumLagDesc, prometheus.GaugeValue, float64(lag))
	}
}
