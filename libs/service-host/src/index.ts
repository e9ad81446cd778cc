// Hosting a subsystem core as a NestJS microservice on NATS, with its event-log recorder.
export { serviceConfig, type ServiceConfig } from './config';
export { ServiceRuntime, type Health } from './runtime';
export { START_RUN, SupervisorController } from './controllers';
export { ServiceModule, bootstrapService } from './service-module';
