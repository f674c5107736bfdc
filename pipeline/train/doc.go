// Package train trains the decoders of models/seizure and models/ssvep
// from labelled recordings on one path with the stream that will run
// them: the recordings are read with run's source options (Input.Files
// is run's source.files: every format, the plain-text rate and unit, CSV
// time and marker columns, channel files, BIDS folders), streamed by the
// pipeline's own runtime as wire chunks through run's preprocessing steps
// (Input.Preprocess) and cut into its windows, and a collector stage hands
// the windows to the models' pure fitting functions (seizure.TrainDataset,
// ssvep.TrainCalibration). So a seizure model is trained on the features
// the seizure stage computes, and an SSVEP model on the trials the ssvep
// stage decodes in trial mode, bit for bit; `neurostream train` is Seizure
// and SSVEP.
//
// The models packages may not import pipeline, so the trainers that run
// it live here.
package train
