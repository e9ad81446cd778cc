/**
 * Who may do what on NATS: the one table of roles and their subject permissions. The
 * nats-server configuration is generated from it (server-config.ts), so what the server
 * enforces and what this file says cannot drift apart.
 *
 * The signal permissions mirror the hardware's wiring: a service's signals are appended to
 * the event log on `mtlog.<run>.<source>` (libs/bus/src/log-bus.ts), so each service may
 * publish on its own source's subjects and no other — only the supervisor drives the DACs,
 * learn-enable and the potentiometer, only clamping the clamp outputs, only edge physics the
 * network state, only measurement the ADC samples. Everyone else reads the log through
 * JetStream's API (consumers and message gets), which is a request to `$JS.API.…`; nobody
 * but the admin may delete, purge or reconfigure the log or its catalogue.
 *
 * Subjects are allow-lists: what a role does not list it may not do. The deny lists repeat
 * the destructive operations on the log explicitly, so a careless allow added later (a `>`)
 * still cannot reach them.
 */
import { SOURCES, SUBJECTS, type Source } from '@metatwin/contracts';

/** The event-log stream, its catalogue bucket, and the study queue and results (libs/eventlog, libs/study-runner). */
export const LOG_STREAM = 'METATWIN_LOG';
export const CATALOGUE_BUCKET = `${LOG_STREAM}_RUNS`;
export const STUDY_JOBS_STREAM = 'METATWIN_STUDY_JOBS';
export const STUDY_RESULTS_BUCKET = 'METATWIN_STUDY_RESULTS';
/** Request/reply subjects of the supervisor (libs/service-host/src/controllers.ts). */
export const RUN_CONTROL = ['mt.rpc.supervisor.start', 'mt.rpc.supervisor.cancel', 'mt.rpc.supervisor.resume'] as const;

/**
 * - the four services, one role each (`supervisor`, `clamping`, `edge-physics`, `measurement`);
 * - `cli`: starts, cancels, resumes and reads runs; runs studies (queues jobs, reads rows);
 * - `recorder`: a CLI running a run embedded (all four deciders in its process) with its log in
 *   JetStream (`--record nats://…`), or cancelling/resuming such a run: it appends every source;
 * - `worker`: pulls study jobs and stores their rows;
 * - `observer`: reads the log, the catalogue, study rows, health and dead letters; starts nothing;
 * - `admin`: everything, and the only role that may delete, purge or reconfigure the log (`metatwin prune`).
 */
export const ROLES = [...SOURCES, 'cli', 'recorder', 'worker', 'observer', 'admin'] as const;
export type NatsRole = (typeof ROLES)[number];

export function isRole(value: string): value is NatsRole {
  return (ROLES as ReadonlyArray<string>).includes(value);
}

export interface SubjectPermission {
  readonly allow: ReadonlyArray<string>;
  readonly deny: ReadonlyArray<string>;
}

export interface RolePermissions {
  readonly publish: SubjectPermission;
  readonly subscribe: SubjectPermission;
}

/** JetStream API subjects that read stream `s` (info, message gets, consumers and their pulls, flow control). */
function readsStream(s: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${s}`,
    `$JS.API.STREAM.MSG.GET.${s}`,
    `$JS.API.DIRECT.GET.${s}`,
    `$JS.API.DIRECT.GET.${s}.>`,
    `$JS.API.CONSUMER.CREATE.${s}`,
    `$JS.API.CONSUMER.CREATE.${s}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${s}.>`,
    `$JS.API.CONSUMER.INFO.${s}.>`,
    `$JS.API.CONSUMER.DELETE.${s}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${s}.>`,
    `$JS.FC.${s}.>`,
  ];
}
/** Making a stream that is missing (the first process to need it does). Changing one is STREAM.UPDATE, which only the admin has. */
const createsStream = (s: string): string => `$JS.API.STREAM.CREATE.${s}`;
const kvStream = (bucket: string): string => `KV_${bucket}`;
/** A key-value bucket read (gets, keys, watches) and made when missing. */
const readsBucket = (bucket: string): string[] => [...readsStream(kvStream(bucket)), createsStream(kvStream(bucket))];
const writesBucket = (bucket: string): string => `$KV.${bucket}.>`;
/** The event log and its catalogue, read (every role reads them) and made when missing. */
const READS_LOG = [...readsStream(LOG_STREAM), createsStream(LOG_STREAM), ...readsBucket(CATALOGUE_BUCKET)];
const READS_STUDIES = [...readsStream(STUDY_JOBS_STREAM), createsStream(STUDY_JOBS_STREAM), ...readsBucket(STUDY_RESULTS_BUCKET)];
const JS_INFO = '$JS.API.INFO';
const logSubject = (source: Source | '*'): string => `${SUBJECTS.logPrefix}.*.${source}`;

/** What no role but the admin may do, whatever its allow list says. */
export const ADMIN_ONLY = [
  '$JS.API.STREAM.DELETE.>',
  `$JS.API.STREAM.UPDATE.${LOG_STREAM}`,
  `$JS.API.STREAM.UPDATE.${kvStream(CATALOGUE_BUCKET)}`,
  `$JS.API.STREAM.PURGE.${LOG_STREAM}`,
  `$JS.API.STREAM.PURGE.${kvStream(CATALOGUE_BUCKET)}`,
  `$JS.API.STREAM.MSG.DELETE.${LOG_STREAM}`,
  `$JS.API.STREAM.MSG.DELETE.${kvStream(CATALOGUE_BUCKET)}`,
  '$JS.API.STREAM.SNAPSHOT.>',
  '$JS.API.STREAM.RESTORE.>',
  '$JS.API.STREAM.PEER.>',
  '$JS.API.STREAM.LEADER.>',
  '$JS.API.META.>',
  '$JS.API.ACCOUNT.>',
  '$JS.API.SERVER.>',
];

/** Replies (nats.js's request inboxes and JetStream deliveries) arrive on _INBOX.… for everyone. */
const INBOX = '_INBOX.>';
/** Services' answers (health, run control) arrive on mt.reply.<service>.…, for whoever asks. */
const SEES = [INBOX, SUBJECTS.allReplies, SUBJECTS.allPresence, SUBJECTS.allDeadLetters];
const HEALTH = 'mt.rpc.*.health';

function service(source: Source): RolePermissions {
  return {
    publish: {
      allow: [
        JS_INFO,
        ...READS_LOG,
        logSubject(source),
        SUBJECTS.presence(source),
        SUBJECTS.deadLetter(source),
        // Its answers, in its own reply namespace: nobody else can answer as this service.
        // (Not nats-server's allow_responses: that keeps every reply subject the client was
        // sent, JetStream's deliveries included, for `expires`, and past 4,096 of them scans
        // the whole set on each delivery, so a flood on the log made every service's consumer
        // quadratic: a run ran ×2–6 slower for minutes after 20,000 invalid batches.)
        SUBJECTS.reply(source, '>'),
        // The supervisor keeps the run catalogue (a run's entry when it starts and ends).
        ...(source === 'supervisor' ? [writesBucket(CATALOGUE_BUCKET)] : []),
      ],
      deny: ADMIN_ONLY,
    },
    // Its own request subjects only: nobody else can take this service's requests.
    subscribe: { allow: [...SEES, `mt.rpc.${source}.>`], deny: [] },
  };
}

const readsEverything = [JS_INFO, ...READS_LOG, ...READS_STUDIES, HEALTH];

/** The table itself; permissionsOf() is the way in. */
const TABLE: Readonly<Record<Exclude<NatsRole, 'admin'>, RolePermissions>> = {
  supervisor: service('supervisor'),
  clamping: service('clamping'),
  'edge-physics': service('edge-physics'),
  measurement: service('measurement'),
  cli: {
    publish: {
      allow: [
        ...readsEverything,
        ...RUN_CONTROL,
        // Studies: queue jobs, clear a study's queued jobs (a re-run, `study cancel`), write a
        // cancel flag and forget failed rows; drop a job JetStream gave up on.
        'mt.study.jobs.>',
        `$JS.API.STREAM.PURGE.${STUDY_JOBS_STREAM}`,
        `$JS.API.STREAM.MSG.DELETE.${STUDY_JOBS_STREAM}`,
        writesBucket(STUDY_RESULTS_BUCKET),
        'mt.study.dead.>',
      ],
      deny: ADMIN_ONLY,
    },
    subscribe: { allow: [...SEES, `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${STUDY_JOBS_STREAM}.>`, 'mt.study.dead.>'], deny: [] },
  },
  recorder: {
    publish: { allow: [...readsEverything, ...RUN_CONTROL, logSubject('*'), writesBucket(CATALOGUE_BUCKET)], deny: ADMIN_ONLY },
    subscribe: { allow: SEES, deny: [] },
  },
  worker: {
    publish: {
      allow: [JS_INFO, ...READS_STUDIES, `$JS.ACK.${STUDY_JOBS_STREAM}.>`, writesBucket(STUDY_RESULTS_BUCKET), 'mt.study.dead.>'],
      deny: [...ADMIN_ONLY, 'mt.study.jobs.>'],
    },
    subscribe: { allow: [INBOX], deny: [] },
  },
  observer: {
    publish: { allow: readsEverything, deny: [...ADMIN_ONLY, ...RUN_CONTROL] },
    subscribe: { allow: [...SEES, 'mt.study.dead.>'], deny: [] },
  },
};

/** A role's permissions; null for the admin, which nats-server then leaves unrestricted. */
export function permissionsOf(role: NatsRole): RolePermissions | null {
  return role === 'admin' ? null : TABLE[role];
}
