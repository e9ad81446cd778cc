// Analysis of training runs: MSE, Gram–Schmidt error modes, and reading their trajectories.
export { ONE_INPUT_MAX_DEGREE, errorModes, meanSquaredError, modeBasis, type ModeBasis } from './modes';
export { DEFAULT_PRESENT_FRACTION, fallOrder, fellFirstAndLast, fellInSequence, modeHalfTimes, presentModes, type TrajectoryPoint } from './trajectory';
export { fitPowerLaw, powerLawBand, studentTCdf, studentTQuantile, type PowerLawBandPoint, type PowerLawFit, type PowerLawPoint } from './power-law';
