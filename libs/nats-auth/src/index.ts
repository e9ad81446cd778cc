export { ADMIN_ONLY, CATALOGUE_BUCKET, LOG_STREAM, ROLES, RUN_CONTROL, STUDY_JOBS_STREAM, STUDY_RESULTS_BUCKET, isRole, permissionsOf } from './roles';
export type { NatsRole, RolePermissions, SubjectPermission } from './roles';
export { authorizationConfig, type NatsUser } from './server-config';
export {
  AUTH_CONF,
  DEV_CREDENTIALS_DIR,
  NatsCredentialsError,
  connectionOptions,
  credentialsDir,
  describeAuthError,
  hasCredentials,
  natsSecurity,
  writeCredentials,
} from './credentials';
export type { NatsSecurity, WrittenCredentials } from './credentials';
export { requestService } from './service-request';
export { natsServers } from './servers';
