import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { SUBJECTS, type Source } from '@metatwin/contracts';
import { serviceConfig, type ServiceConfig } from './config';
import { SupervisorController, healthController } from './controllers';
import { SERVICE_CONFIG, SERVICE_NAME, ServiceRuntime } from './runtime';

@Module({})
export class ServiceModule {
  static forService(service: Source, config: ServiceConfig): DynamicModule {
    return {
      module: ServiceModule,
      controllers: [service === 'supervisor' ? SupervisorController : healthController(SUBJECTS.health(service))],
      providers: [{ provide: SERVICE_NAME, useValue: service }, { provide: SERVICE_CONFIG, useValue: config }, ServiceRuntime],
    };
  }
}

/** Start one subsystem as a NestJS microservice on the NATS transport; SIGTERM/SIGINT close it cleanly. */
export async function bootstrapService(service: Source): Promise<void> {
  const config = serviceConfig();
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(ServiceModule.forService(service, config), {
    transport: Transport.NATS,
    options: { servers: [config.natsUrl], name: `metatwin-${service}-rpc` },
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  await app.listen();
}
