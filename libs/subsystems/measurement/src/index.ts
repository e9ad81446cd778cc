// The measurement subsystem: demultiplexer and ADC; it observes and never affects learning.
export { PAPER_ADC, readGate, readNode, readVoltage, validateAdc, type AdcConfig, type AdcReading } from './adc';
export { DEMUX_ADDRESS_BITS, decodeDemux, encodeDemux, type DemuxSelection } from './demux';
