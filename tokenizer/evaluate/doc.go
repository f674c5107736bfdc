// Package evaluate measures a tokenizer vocabulary on labelled recordings
// (what `neurostream tokens report` prints, docs/tokenizer.md "Report"):
// codebook usage, reconstruction error, token–label mutual information,
// and a downstream check: a multinomial L2 logistic regression
// (models/linear) on a bag of tokens against the same classifier on band
// powers, with the same grouped cross-validation folds (whole recordings
// held out, models/metrics.StratifiedGroupFolds) and the L2 penalty chosen
// by an inner cross-validation.
//
// Run takes a Config and returns a Report; Report.Write prints it.
package evaluate
