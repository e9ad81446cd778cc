// The resolved experiment's types live with the contracts (RunCreated carries one).
export type { Dataset, Experiment, Imperfections, NetworkSpec, OutputSpec, Quantisation, ReportSettings, Roles, Schedule, TransistorSpec } from '@metatwin/contracts';
