// The clamping subsystem as a NestJS microservice on NATS (logic lives in libs/services).
import { bootstrapService } from '@metatwin/service-host';

void bootstrapService('clamping');
