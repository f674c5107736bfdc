package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/view"
)

// viewHook, when set (by tests), learns the view server's address.
var viewHook func(addr string)

// runViewHook, when set (by tests), may change the built pipeline of
// `run --view` before it runs.
var runViewHook func(b *config.Built)

// serveView starts a hub and its web server on addr (view.Start) until
// the command ends, and says where.
func serveView(cmd *cobra.Command, addr, source string) (*view.Hub, string, func(), error) {
	hub, bound, stop, err := view.Start(cmd.Context(), view.Config{Source: source, Logger: slog.Default()}, addr)
	if err == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "view: http://%s/\n", bound)
		if viewHook != nil {
			viewHook(bound)
		}
	}
	return hub, bound, stop, err
}

// runWithView runs c like `run`, with its results also going to a live
// view on addr (a sink that never waits: the view drops its oldest
// results rather than slow the pipeline, and its dead letters are
// counted per session). After a finite input ends the view keeps serving
// the final state until the command is interrupted.
func runWithView(cmd *cobra.Command, c *config.Config, addr string) error {
	hub, bound, stop, err := serveView(cmd, addr, fmt.Sprintf("run %s: %s", c.Name, c.Provenance()[config.MetaInput]))
	if err != nil {
		return cli.WithCode(cli.ExitUsage, err)
	}
	defer stop()
	err = runPipelineWith(cmd, c, nil, func(b *config.Built) {
		b.Options.Sinks = append(b.Options.Sinks, view.Sink{Hub: hub})
		b.Options.DeadLetters = view.DeadLetters{Hub: hub, Next: b.Options.DeadLetters}
		if runViewHook != nil {
			runViewHook(b)
		}
	})
	if len(c.Source.Kafka.Brokers) == 0 && cmd.Context().Err() == nil { // a finite input
		fmt.Fprintf(cmd.ErrOrStderr(), "view: the input has ended; still serving http://%s/ until interrupted (Ctrl-C)\n", bound)
		<-cmd.Context().Done()
	}
	return err
}

func newViewCmd() *cobra.Command {
	var addr, file, from string
	var kc view.KafkaConfig
	cmd := &cobra.Command{
		Use:     "view",
		Short:   "Serve a live web view of the result topics in Kafka",
		Long:    help("view.long"),
		Example: "  neurostream view --brokers 127.0.0.1:9092\n  neurostream view --config configs/seizure-monitor.yaml --addr 127.0.0.1:8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file != "" {
				c, err := loadConfig(file)
				if err != nil {
					return err
				}
				ko := c.Output.Kafka
				if len(ko.Brokers) == 0 {
					return cli.WithCode(cli.ExitUsage, fmt.Errorf("%s: output.kafka.brokers is empty: this pipeline writes no results to Kafka", file))
				}
				// Flags set explicitly win over output.kafka.
				for name, v := range map[string]string{"brokers": strings.Join(ko.Brokers, ","), "topic-prefix": ko.TopicPrefix, "dead-letter-topic": ko.DeadLetterTopic} {
					if !cmd.Flags().Changed(name) {
						cmd.Flags().Set(name, v)
					}
				}
			}
			kc.Logger = slog.Default()
			var err error
			if kc.StartOffset, err = view.ParseOffset(from); err != nil {
				return cli.WithCode(cli.ExitUsage, fmt.Errorf("--from %w", err))
			}
			if err := kc.Validate(); err != nil {
				return cli.WithCode(cli.ExitUsage, err)
			}
			hub, _, stop, err := serveView(cmd, addr, fmt.Sprintf("Kafka topics %s* on %s, group %s", kc.Prefix(), strings.Join(kc.Brokers, ","), kc.Group()))
			if err != nil {
				return cli.WithCode(cli.ExitUsage, err)
			}
			defer stop()
			if err := view.ConsumeKafka(cmd.Context(), kc, hub); !errors.Is(err, context.Canceled) && cmd.Context().Err() == nil {
				return err
			}
			return nil // a signal is the normal stop
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to serve the page on, host:port")
	f.StringVarP(&file, "config", "c", "", "take brokers, topic prefix and dead-letter topic from this pipeline's output.kafka (builtin:NAME.yaml for an embedded one)")
	f.StringSliceVar(&kc.Brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.StringVar(&kc.TopicPrefix, "topic-prefix", pkafka.DefaultTopicPrefix, "result topics are this prefix + the result kind")
	f.StringVar(&kc.GroupID, "group", view.DefaultGroupID, "consumer group of the view (not the pipeline's)")
	f.StringVar(&kc.DeadLetterTopic, "dead-letter-topic", "neurostream.deadletters", "dead-letter topic, counted per session (\"\": none)")
	f.StringVar(&from, "from", "latest", "where a new consumer group starts: latest (only new results) or earliest (everything kept)")
	return cmd
}
