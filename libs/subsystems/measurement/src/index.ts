// The measurement subsystem: demultiplexer and ADC; it observes and never affects learning.
export { PAPER_ADC, readGate, readNode, readVoltage, validateAdc, type AdcConfig, type AdcReading } from './adc';
export { executeMeasurementCall, type AdcCodes, type AnalogInput, type MeasurementCall, type MeasurementPort, type MeasurementResult, type SampleAt } from './port';
export { measurementDecider, type MeasurementCommand, type MeasurementInput, type MeasurementState } from './decider';
export { MeasurementSim, adcConfig } from './sim/measurement-sim';
export { MIRROR_CODES, MeasurementMirror, type MeasurementCommandRecord } from './mirror/measurement-mirror';
