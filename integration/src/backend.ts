import { inject } from 'vitest';

/** Which kind of back-end the global setup chose for this run. */
export type BackendName = 'user-endpoint' | 'localstack' | 'embedded';

/** Static credentials handed to SDK clients; `undefined` on a {@link Backend} means "SDK default chain". */
export interface BackendCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** An emulator process or server the global setup started (and must stop). */
export interface StartedProcessInfo {
  /** What runs there, e.g. `kinesis-local`. */
  name: string;
  /** OS process id; for in-process servers, the vitest main process id. */
  pid: number;
  /** Whether `pid` is a child process of its own (only then may a test expect it to be gone). */
  childProcess: boolean;
  /** Loopback ports it listens on. */
  ports: number[];
}

/**
 * Optional capabilities a test may need. When one is missing, {@link Backend.skipReasons} holds the
 * reason under its key and the test skips, printing that reason.
 */
export const Capability = {
  /** A faithful Kinesis (kinesis-local / LocalStack / AWS): pagination, ChildShards, UpdateShardCount, EFO. */
  KinesisFidelity: 'kinesis-fidelity',
} as const;

/** A capability key, see {@link Capability}. */
export type CapabilityName = (typeof Capability)[keyof typeof Capability];

/** The endpoints, region and credentials every integration test talks to. */
export interface Backend {
  /** Which back-end was chosen. */
  name: BackendName;
  /** One line saying why it was chosen. */
  reason: string;
  /** Why each other back-end was not chosen. */
  rejected: Partial<Record<BackendName, string>>;
  /** AWS region for every client. */
  region: string;
  /** Credentials for every client; `undefined` leaves them to the SDK default chain (user endpoints). */
  credentials?: BackendCredentials;
  /** Kinesis for volume scenarios (kinesalite when embedded: fast, not faithful). */
  kinesisEndpoint: string;
  /** Kinesis for fidelity scenarios (kinesis-local when embedded); `undefined` if it could not start. */
  kinesisFidelityEndpoint?: string;
  /** DynamoDB (dynalite when embedded). */
  dynamodbEndpoint: string;
  /** Missing capability -> why it is missing (see {@link Capability}). */
  skipReasons: Partial<Record<CapabilityName, string>>;
  /** Emulators the global setup started; all are stopped by its teardown. */
  processes: StartedProcessInfo[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The back-end chosen by the integration global setup. */
    backend: Backend;
  }
}

/** The back-end of this run, as provided by the global setup. Only callable inside a vitest worker. */
export function getBackend(): Backend {
  const backend = inject('backend');
  if (backend === undefined) {
    throw new Error(
      'No integration back-end was provided: run the tests through integration/vitest.config.ts',
    );
  }
  return backend;
}

/**
 * The reason a capability is missing on `backend` (to print and skip), or `undefined` when it is there.
 */
export function skipReason(capability: CapabilityName, backend: Backend = getBackend()): string | undefined {
  return backend.skipReasons[capability];
}

/**
 * The standard SDK environment variables for `backend`, so library code that relies only on the SDK's
 * default region/credential/endpoint chain talks to the chosen back-end.
 */
export function sdkEnvironment(backend: Backend): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: backend.region,
    AWS_ENDPOINT_URL_KINESIS: backend.kinesisEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: backend.dynamodbEndpoint,
  };
  if (backend.credentials !== undefined) {
    env.AWS_ACCESS_KEY_ID = backend.credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = backend.credentials.secretAccessKey;
    if (backend.credentials.sessionToken !== undefined) {
      env.AWS_SESSION_TOKEN = backend.credentials.sessionToken;
    }
  }
  return env;
}
