export { BoardFault, EmulatedBoard, type Board } from './board';
export { BoardEmulator, type EmulatorOptions, type EmulatorStats, type FaultRates } from './server';
export { ControllerSession, FIRMWARE, type SessionOptions, type SessionStats } from './session';
