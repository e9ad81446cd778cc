import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { SUBJECTS, type Source } from '@metatwin/contracts';
import { connectionOptions, natsServers } from '@metatwin/nats-auth';
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
  const config = serviceConfig(process.env, service);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(ServiceModule.forService(service, config), {
    transport: Transport.NATS,
    // The same role's credentials as the service's event-log connection: it answers only its own rpc subjects.
    options: { servers: natsServers(config.natsUrl), name: `metatwin-${service}-rpc`, ...connectionOptions(config.security) },
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  await app.listen();
}
