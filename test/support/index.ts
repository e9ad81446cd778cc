export { startNats, startInflux } from './servers';
export type { NatsServer, InfluxServer, InfluxStartOptions, InfluxUser, InfluxUsers, NatsStartOptions, StartOptions } from './servers';
export { credentialsEnv, testConnectOptions, testCredentials, testSecurity } from './credentials';
export { ServerStartError, findServerBinary, freePort, httpStatus, DEFAULT_START_TIMEOUT_MS } from './process';
export { REPO_ROOT, serviceHealth, startService, startServices, stopServices } from './services';
export type { ServiceEnv, ServiceProcess } from './services';
export { killClis, startCli, type CliRun } from './cli';
export { startNatsCluster, type NatsCluster, type NatsClusterNode } from './cluster';
