// Package seizure detects epileptic seizures in EEG windows: a reusable
// feature plan (Extractor) turns one multichannel window into a fixed-length
// feature vector, and an L2-regularised logistic regression (Model, fitted
// by models/linear's TrainLogistic, Newton's method) turns the z-scored
// features into a seizure probability; TrainConfig.Boost trains
// gradient-boosted trees instead. A Model is saved as a versioned JSON file
// (models/modelfile) holding the feature spec (window length, sample rate,
// channels, Welch segment, extended features), the normalisation and the
// weights or trees, so a loaded model scores identically. Smoother and
// Hysteresis turn a stream of window probabilities into seizure events, as
// the pipeline's seizure stage does.
//
// Training from annotated recordings, as `neurostream train seizure` does,
// is pipeline/train's: it streams the recordings through the pipeline's
// source, preprocessing and windows, labels the windows (SeizureSpans,
// WindowClass, EventsFile) and fills a Dataset with their features; then
// TrainDataset fits the model (Train) and gives the grouped k-fold
// estimate (CrossValidate). This package reads no recordings itself.
//
// Evaluation helpers (AUROC by the Mann–Whitney statistic,
// BalancedAccuracy; folds from metrics.StratifiedGroupFoldsPerClass)
// support the Bonn cross-validation reported in docs/seizure.md.
package seizure
