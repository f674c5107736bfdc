package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/view"
)

// viewHook, when set (by tests), learns the view server's address.
var viewHook func(addr string)

// runViewHook, when set (by tests), may change the built pipeline of
// `run --view` before it runs.
var runViewHook func(b *config.Built)

// serveView starts a hub and its web server on addr until ctx ends, and
// returns the hub, the address it listens on and a function that stops
// both and waits for them.
func serveView(ctx context.Context, cmd *cobra.Command, addr, source string) (*view.Hub, string, func(), error) {
	hub := view.NewHub(view.Config{Source: source, Logger: slog.Default()})
	ctx, cancel := context.WithCancel(ctx)
	hubDone := make(chan struct{})
	go func() {
		hub.Run(ctx)
		close(hubDone)
	}()
	bound, wait, err := hub.Serve(ctx, addr)
	if err != nil {
		cancel()
		<-hubDone
		return nil, "", nil, err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "view: http://%s/\n", bound)
	if viewHook != nil {
		viewHook(bound)
	}
	return hub, bound, func() {
		cancel()
		<-hubDone
		if err := wait(); err != nil {
			slog.Warn("view: server", "error", err)
		}
	}, nil
}

// runWithView runs c like `run`, with its results also going to a live
// view on addr (a sink that never waits: the view drops its oldest
// results rather than slow the pipeline, and its dead letters are
// counted per session). After a finite input ends the view keeps serving
// the final state until the command is interrupted.
func runWithView(cmd *cobra.Command, c *config.Config, addr string) error {
	ctx := cmd.Context()
	source := fmt.Sprintf("run %s: %s", c.Name, c.Provenance()[config.MetaInput])
	hub, bound, stop, err := serveView(ctx, cmd, addr, source)
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer stop()
	finite := true
	err = runPipelineWith(cmd, c, nil, func(b *config.Built) {
		b.Options.Sinks = append(b.Options.Sinks, view.Sink{Hub: hub})
		b.Options.DeadLetters = view.DeadLetters{Hub: hub, Next: b.Options.DeadLetters}
		finite = b.KafkaSource == nil
		if runViewHook != nil {
			runViewHook(b)
		}
	})
	if finite && ctx.Err() == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "view: the input has ended; still serving http://%s/ until interrupted (Ctrl-C)\n", bound)
		<-ctx.Done()
	}
	return err
}

func newViewCmd() *cobra.Command {
	var (
		addr, file, prefix, group, deadLetterTopic, from string
		brokers                                          []string
	)
	cmd := &cobra.Command{
		Use:   "view",
		Short: "Serve a live web view of the result topics in Kafka",
		Long: "view reads the result topics (TOPIC_PREFIX + kind: psd, bandpower, coherence, seizure, ssvep, …,\n" +
			"docs/schemas.md) and the dead-letter topic with a consumer group of its own, and serves a web page that\n" +
			"lists every session with its health and draws the session picked: PSD, band-power trends, spectrogram,\n" +
			"coherence matrix, seizure probability with events and alarms, SSVEP decision (docs/view.md).\n" +
			"Brokers, topic prefix and dead-letter topic come from --config's output.kafka when given, else from\n" +
			"the flags; flags set explicitly win. The page loads nothing from the network.",
		Example: "  neurostream view --brokers 127.0.0.1:9092\n  neurostream view --config configs/seizure-monitor.yaml --addr 127.0.0.1:8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kc := view.KafkaConfig{
				Connection: pkafka.Connection{Brokers: brokers}, TopicPrefix: prefix, GroupID: group,
				DeadLetterTopic: deadLetterTopic, Logger: slog.Default(),
			}
			if file != "" {
				c, err := loadConfig(file)
				if err != nil {
					return err
				}
				ko, fl := c.Output.Kafka, cmd.Flags()
				if len(ko.Brokers) == 0 {
					return withCode(exitUsage, fmt.Errorf("%s: output.kafka.brokers is empty: this pipeline writes no results to Kafka", file))
				}
				if !fl.Changed("brokers") {
					kc.Brokers = ko.Brokers
				}
				if !fl.Changed("topic-prefix") {
					kc.TopicPrefix = ko.TopicPrefix
				}
				if !fl.Changed("dead-letter-topic") {
					kc.DeadLetterTopic = ko.DeadLetterTopic
				}
			}
			switch from {
			case "latest":
				kc.StartOffset = view.Latest
			case "earliest":
				kc.StartOffset = view.Earliest
			default:
				return withCode(exitUsage, fmt.Errorf("--from %q: want latest or earliest", from))
			}
			if err := kc.Validate(); err != nil {
				return withCode(exitUsage, err)
			}
			ctx := cmd.Context()
			source := fmt.Sprintf("Kafka topics %s* on %s, group %s", kc.Prefix(), strings.Join(kc.Brokers, ","), kc.Group())
			hub, _, stop, err := serveView(ctx, cmd, addr, source)
			if err != nil {
				return withCode(exitUsage, err)
			}
			defer stop()
			err = view.ConsumeKafka(ctx, kc, hub)
			if errors.Is(err, context.Canceled) || ctx.Err() != nil {
				return nil // a signal is the normal stop
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to serve the page on, host:port")
	f.StringVarP(&file, "config", "c", "", "take brokers, topic prefix and dead-letter topic from this pipeline's output.kafka (builtin:NAME.yaml for an embedded one)")
	f.StringSliceVar(&brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.StringVar(&prefix, "topic-prefix", pkafka.DefaultTopicPrefix, "result topics are this prefix + the result kind")
	f.StringVar(&group, "group", view.DefaultGroupID, "consumer group of the view (not the pipeline's)")
	f.StringVar(&deadLetterTopic, "dead-letter-topic", "neurostream.deadletters", "dead-letter topic, counted per session (\"\": none)")
	f.StringVar(&from, "from", "latest", "where a new consumer group starts: latest (only new results) or earliest (everything kept)")
	return cmd
}
