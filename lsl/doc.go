// Package lsl speaks the Lab Streaming Layer (LSL) protocol in pure Go,
// interoperable with liblsl, the reference C++ library that amplifiers,
// stimulus programs (PsychoPy, Unity, OpenViBE, BCI2000) and LabRecorder
// use.
//
// It holds:
//
//   - StreamInfo: a stream's description and its XML form (the
//     "shortinfo" and "fullinfo" documents, with desc/channels/channel and
//     desc/acquisition), parsed with bounded size and depth.
//   - Resolve: discovery by UDP "LSL:shortinfo" queries in liblsl's query
//     language (type='EEG', name='X', source_id='…', joined with and/or),
//     sent only to the configured addresses and known peers.
//   - Outlet: serves one stream to any number of inlets (liblsl's outlet):
//     the UDP info and time service, the TCP data feed of protocol 1.10,
//     a bounded buffer per inlet that drops the oldest samples.
//   - Inlet: connects to an outlet, pulls chunks of samples with their LSL
//     timestamps, estimates the clock offset to the outlet
//     (TimeCorrection, liblsl's "LSL:timedata" probes), and recovers
//     after the outlet restarts with the same source_id.
//   - Config: ports, addresses and timing, loadable from liblsl's
//     lsl_api.cfg so the Go side and liblsl share one file.
//
// Every channel format liblsl has is supported: float32, double64, int8,
// int16, int32, int64 and string. Only IPv4 and data protocol 1.10 are
// implemented (liblsl has spoken 1.10 since version 1.10, 2015).
//
// Timestamps are seconds on the LSL clock of the machine that stamped them
// (LocalClock: the monotonic clock, as liblsl's lsl_local_clock). The
// protocol as implemented, its limits and the tests against liblsl are in
// docs/lsl.md.
package lsl
