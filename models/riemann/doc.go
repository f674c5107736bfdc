// Package riemann holds the Riemannian geometry of symmetric positive
// definite (SPD) matrices that the SSVEP decoders of MOABB and pyRiemann
// use, re-implemented to give pyRiemann's values (pyriemann 0.12, pinned in
// tools/python/requirements.txt; golden files in testdata, written by
// testdata/make_golden.py):
//
//   - covariance estimators of a window x[channel][sample]: the sample
//     covariance ("scm"), Ledoit–Wolf ("lwf") and the oracle approximating
//     shrinkage ("oas") as scikit-learn computes them inside pyriemann's
//     Covariances;
//   - the extended SSVEP signal of MOABB's FilterBankSSVEP paradigm and
//     ExtendedSSVEPSignal: the window band-passed around each stimulus
//     frequency, the band copies stacked as channels;
//   - matrix functions by eigendecomposition (Sqrtm, InvSqrtm, Logm,
//     Expm), the affine-invariant Riemannian distance, the Riemannian
//     (Karcher) mean with pyriemann's gradient descent and stopping rule,
//     the logarithmic and exponential maps and the tangent-space vector
//     (upper triangle, √2 on the off-diagonal);
//   - the classifiers of MOABB's SSVEP_MDM and SSVEP_TS pipelines: minimum
//     distance to mean (MDM) and tangent space + L2 logistic regression
//     (TSLR, models/linear standing in for scikit-learn's
//     LogisticRegression).
//
// Conventions: SPD matrices are *mat.SymDense (gonum); functions take the
// destination first, a nil destination allocates and a destination of
// the wrong size panics (a programmer mistake). Data-dependent failures — a
// matrix that is not positive definite, a window holding NaN — return
// errors naming what failed. The models/ssvep decoders "mdm" and "ts-lr"
// are built on this package.
//
// References: Barachant A, Bonnet S, Congedo M, Jutten C (2012) IEEE TBME
// 59:920 (MDM, tangent space); Kalunga EK et al. (2016) Neurocomputing
// 191:55 (extended SSVEP covariances, the exoskeleton data set); Congedo M,
// Afsari B, Barachant A, Moakher M (2015) PLoS ONE 10:e0121423 (the mean's
// stopping rule); Ledoit O, Wolf M (2004) J Multivar Anal 88:365; Chen Y,
// Wiesel A, Eldar YC, Hero AO (2010) IEEE TSP 58:5016 (OAS).
package riemann
