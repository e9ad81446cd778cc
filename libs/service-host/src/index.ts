// Hosting a subsystem core as a NestJS microservice on NATS, log-first through the JetStream event log.
export { serviceConfig, type ServiceConfig } from './config';
export { ServiceRuntime, type Health } from './runtime';
export { CANCEL_RUN, RESUME_RUN, START_RUN, SupervisorController } from './controllers';
export { ServiceModule, bootstrapService } from './service-module';
