// Package corpus reads the recordings a tokenizer learns from or is
// evaluated on: it expands files and folders into recordings of any format
// formats/open reads, reads the analysed channels of each whole (the
// listed ones, or every EEG and MEG channel), and trains a vocabulary on
// their motifs with each file's provenance (Train, what `neurostream train
// tokenizer` runs).
//
// It sits beside package tokenizer rather than in it so that the tokenizer
// stays free of file formats: tokenizer works on samples, corpus on files.
package corpus
