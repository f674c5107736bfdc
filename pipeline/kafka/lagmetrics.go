package kafka

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// NewSourceCollector returns a Prometheus collector of src's per-partition
// offsets and lag, its rebalances and its readiness, read from
// PartitionStats, Stats and Ready at each scrape:
//
//	neurostream_kafka_partition_lag{topic,partition}               gauge, PartitionStats.Lag
//	neurostream_kafka_partition_committed_offset{topic,partition}  gauge
//	neurostream_kafka_partition_position{topic,partition}          gauge
//	neurostream_kafka_partition_log_end_offset{topic,partition}    gauge
//	neurostream_kafka_partition_assignments_total{topic,partition} counter
//	neurostream_kafka_rebalances_total                             counter, SourceStats.Rebalances
//	neurostream_kafka_offsets_errors_total                         counter, SourceStats.OffsetsErrors
//	neurostream_kafka_source_ready                                 gauge, 1 when Ready, else 0
//
// Partition series exist for the partitions of the member's current
// generation only. A value that is unknown is left out rather than
// reported as 0: the lag and log end of a partition whose end offset
// could not be read within 3 × OffsetsInterval (an unreachable broker, a
// partition without leader), the committed offset of a partition the
// group never committed, the position before the first record. Outside a
// generation (joining, or the brokers unreachable) there is no partition
// series at all; alert on neurostream_kafka_source_ready == 0, or on
// absent(neurostream_kafka_partition_lag), as well as on the lag.
// Assignment counters are kept for every partition this member ever
// owned.
func NewSourceCollector(src *Source) prometheus.Collector {
	labels := []string{"topic", "partition"}
	return &sourceCollector{
		src:         src,
		lag:         prometheus.NewDesc("neurostream_kafka_partition_lag", "Offsets between an assigned input partition's end and the group's committed offset (from its start when nothing is committed); absent when the end could not be read recently.", labels, nil),
		committed:   prometheus.NewDesc("neurostream_kafka_partition_committed_offset", "The consumer group's committed offset of an assigned input partition; absent when none.", labels, nil),
		position:    prometheus.NewDesc("neurostream_kafka_partition_position", "Offset of the next record of an assigned input partition to be handed to the pipeline.", labels, nil),
		logEnd:      prometheus.NewDesc("neurostream_kafka_partition_log_end_offset", "End offset (high-water mark) of an assigned input partition, read every OffsetsInterval; absent when it could not be read recently.", labels, nil),
		assignments: prometheus.NewDesc("neurostream_kafka_partition_assignments_total", "Consumer-group generations that assigned this input partition to this process.", labels, nil),
		rebalances:  prometheus.NewDesc("neurostream_kafka_rebalances_total", "Consumer-group generations of this process that ended other than by shutdown (a rebalance, or the coordinator or broker lost).", nil, nil),
		offsetsErrs: prometheus.NewDesc("neurostream_kafka_offsets_errors_total", "Failed reads of input partition offsets (ListOffsets), counted per request or per partition.", nil, nil),
		ready:       prometheus.NewDesc("neurostream_kafka_source_ready", "1 when the Kafka source is connected, a member of a consumer-group generation and its brokers answer; else 0.", nil, nil),
	}
}

type sourceCollector struct {
	src                                           *Source
	lag, committed, position, logEnd, assignments *prometheus.Desc
	rebalances, offsetsErrs, ready                *prometheus.Desc
}

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lag, c.committed, c.position, c.logEnd, c.assignments, c.rebalances, c.offsetsErrs, c.ready} {
		ch <- d
	}
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.src.PartitionStats() {
		lv := []string{p.Topic, strconv.Itoa(p.Partition)}
		gauge := func(d *prometheus.Desc, v int64) {
			if v >= 0 {
				ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), lv...)
			}
		}
		gauge(c.lag, p.Lag)
		gauge(c.committed, p.Committed)
		gauge(c.position, p.Position)
		gauge(c.logEnd, p.LogEnd)
	}
	c.src.mu.Lock()
	for tp, n := range c.src.assignments {
		ch <- prometheus.MustNewConstMetric(c.assignments, prometheus.CounterValue, float64(n), tp.topic, strconv.Itoa(tp.partition))
	}
	c.src.mu.Unlock()
	st := c.src.Stats()
	ch <- prometheus.MustNewConstMetric(c.rebalances, prometheus.CounterValue, float64(st.Rebalances))
	ch <- prometheus.MustNewConstMetric(c.offsetsErrs, prometheus.CounterValue, float64(st.OffsetsErrors))
	ready := 0.0
	if ok, _ := c.src.Ready(); ok {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(c.ready, prometheus.GaugeValue, ready)
}
