import type { Backend, BackendCredentials, BackendName, StartedProcessInfo } from './backend.js';
import { probeDocker } from './docker-probe.js';
import { type InProcessEmulator, startDynalite, startKinesalite } from './in-process-emulator.js';
import { startKinesisLocal } from './kinesis-local.js';
import { DEFAULT_LOCALSTACK_IMAGE, startLocalStack } from './localstack.js';

/** A chosen back-end with whatever was started for it. */
export interface StartedBackend {
  /** What tests receive. */
  readonly backend: Backend;
  /** Stops everything that was started (in parallel); idempotent. */
  stop(): Promise<void>;
}

/** Endpoints the user configured through the SDK's standard variables. */
export interface UserEndpoints {
  kinesis?: string;
  dynamodb?: string;
}

/** Environment variables that steer {@link startBackend}. */
export type BackendEnvironment = Readonly<Record<string, string | undefined>>;

const FAKE_CREDENTIALS: BackendCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const BACKEND_NAMES: readonly BackendName[] = ['user-endpoint', 'localstack', 'embedded'];

/**
 * The user's endpoints: `AWS_ENDPOINT_URL_KINESIS` / `AWS_ENDPOINT_URL_DYNAMODB`, each falling back to
 * `AWS_ENDPOINT_URL`. Empty values count as unset.
 */
export function userEndpointsFromEnv(env: BackendEnvironment): UserEndpoints {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const fallback = value('AWS_ENDPOINT_URL');
  const kinesis = value('AWS_ENDPOINT_URL_KINESIS') ?? fallback;
  const dynamodb = value('AWS_ENDPOINT_URL_DYNAMODB') ?? fallback;
  return { ...(kinesis === undefined ? {} : { kinesis }), ...(dynamodb === undefined ? {} : { dynamodb }) };
}

/**
 * Chooses and starts the back-end, in this order:
 * 1. the user's endpoints (`AWS_ENDPOINT_URL*`), a service without one getting its embedded emulator;
 * 2. LocalStack through testcontainers when a container runtime answers within `dockerProbeTimeoutMs`;
 * 3. embedded emulators on random loopback ports: kinesalite and dynalite in this process, kinesis-local
 *    as a child process (if it fails to start, the fidelity endpoint is missing and says why).
 * `KINESIS_TS_BACKEND` (`user-endpoint` | `localstack` | `embedded`) forces a choice;
 * `KINESIS_TS_FIDELITY=off` skips kinesis-local (no fidelity endpoint); with a user Kinesis endpoint,
 * `KINESIS_TS_FIDELITY_ENDPOINT` names the fidelity one (default: the user's Kinesis endpoint, assumed to be
 * LocalStack or AWS); `KINESIS_TS_LOCALSTACK_IMAGE` picks the LocalStack image.
 */
export async function startBackend(
  env: BackendEnvironment,
  log: (line: string) => void = () => {},
  dockerProbeTimeoutMs = 3_000,
): Promise<StartedBackend> {
  const forced = env.KINESIS_TS_BACKEND?.trim() || undefined;
  if (forced !== undefined && !BACKEND_NAMES.includes(forced as BackendName)) {
    throw new Error(`KINESIS_TS_BACKEND must be one of ${BACKEND_NAMES.join(', ')}; got "${forced}"`);
  }
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1';
  const user = userEndpointsFromEnv(env);
  const hasUser = user.kinesis !== undefined || user.dynamodb !== undefined;
  const rejected: Backend['rejected'] = {};
  const wantsFidelity = env.KINESIS_TS_FIDELITY?.trim().toLowerCase() !== 'off';

  if (forced === 'user-endpoint' && !hasUser) {
    throw new Error(
      'KINESIS_TS_BACKEND=user-endpoint but no AWS_ENDPOINT_URL_KINESIS/_DYNAMODB/AWS_ENDPOINT_URL set',
    );
  }
  if (hasUser && (forced === undefined || forced === 'user-endpoint')) {
    rejected.localstack = 'user endpoints (AWS_ENDPOINT_URL*) take precedence';
    rejected.embedded = 'user endpoints (AWS_ENDPOINT_URL*) take precedence';
    return startUserBackend(user, env, region, rejected, wantsFidelity);
  }
  rejected['user-endpoint'] = hasUser
    ? `KINESIS_TS_BACKEND=${forced} overrides AWS_ENDPOINT_URL*`
    : 'no AWS_ENDPOINT_URL_KINESIS / AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL set';

  if (forced === 'embedded') {
    rejected.localstack = 'KINESIS_TS_BACKEND=embedded';
  } else {
    log(`probing for a container runtime (timeout ${dockerProbeTimeoutMs} ms)...`);
    const probe = await probeDocker(dockerProbeTimeoutMs);
    if (probe.available) {
      const image = env.KINESIS_TS_LOCALSTACK_IMAGE?.trim() || DEFAULT_LOCALSTACK_IMAGE;
      log(`container runtime ${probe.runtime}: starting LocalStack ${image}...`);
      try {
        const localstack = await startLocalStack(image);
        rejected.embedded = 'LocalStack is available';
        return {
          backend: {
            name: 'localstack',
            reason: `a container runtime answered (${probe.runtime}); LocalStack ${image} at ${localstack.endpoint}`,
            rejected,
            region,
            credentials: FAKE_CREDENTIALS,
            kinesisEndpoint: localstack.endpoint,
            kinesisFidelityEndpoint: localstack.endpoint,
            dynamodbEndpoint: localstack.endpoint,
            skipReasons: {},
            processes: [],
          },
          stop: () => localstack.stop(),
        };
      } catch (error) {
        if (forced === 'localstack') throw error;
        rejected.localstack = `LocalStack failed to start: ${firstLine(error)}`;
      }
    } else {
      if (forced === 'localstack') throw new Error(`KINESIS_TS_BACKEND=localstack but ${probe.reason}`);
      rejected.localstack = probe.reason;
    }
  }
  const embedded = await startEmbedded({ kinesis: true, dynamodb: true, fidelity: wantsFidelity });
  return {
    backend: {
      name: 'embedded',
      reason: `embedded emulators on loopback: kinesalite (volume), ${
        embedded.fidelity === undefined ? '' : 'kinesis-local (fidelity), '
      }dynalite`,
      rejected,
      region,
      credentials: FAKE_CREDENTIALS,
      kinesisEndpoint: embedded.kinesis!,
      ...(embedded.fidelity === undefined ? {} : { kinesisFidelityEndpoint: embedded.fidelity }),
      dynamodbEndpoint: embedded.dynamodb!,
      skipReasons: fidelitySkipReasons(embedded.fidelity, embedded.fidelityMissing),
      processes: embedded.processes,
    },
    stop: embedded.stop,
  };
}

async function startUserBackend(
  user: UserEndpoints,
  env: BackendEnvironment,
  region: string,
  rejected: Backend['rejected'],
  wantsFidelity: boolean,
): Promise<StartedBackend> {
  const embedded = await startEmbedded({
    kinesis: user.kinesis === undefined,
    dynamodb: user.dynamodb === undefined,
    fidelity: user.kinesis === undefined && wantsFidelity,
  });
  const hasOwnCredentials = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE'].some(
    (name) => (env[name]?.trim() ?? '') !== '',
  );
  const fidelity = !wantsFidelity
    ? undefined
    : user.kinesis === undefined
      ? embedded.fidelity
      : env.KINESIS_TS_FIDELITY_ENDPOINT?.trim() || user.kinesis;
  const parts = [
    `Kinesis ${user.kinesis ?? `embedded ${embedded.kinesis}`}`,
    `DynamoDB ${user.dynamodb ?? `embedded ${embedded.dynamodb}`}`,
  ];
  return {
    backend: {
      name: 'user-endpoint',
      reason: `AWS_ENDPOINT_URL* set: ${parts.join(', ')}`,
      rejected,
      region,
      ...(hasOwnCredentials ? {} : { credentials: FAKE_CREDENTIALS }),
      kinesisEndpoint: user.kinesis ?? embedded.kinesis!,
      ...(fidelity === undefined ? {} : { kinesisFidelityEndpoint: fidelity }),
      dynamodbEndpoint: user.dynamodb ?? embedded.dynamodb!,
      skipReasons: fidelitySkipReasons(
        fidelity,
        embedded.fidelityMissing ?? 'no fidelity Kinesis endpoint (KINESIS_TS_FIDELITY=off)',
      ),
      processes: embedded.processes,
    },
    stop: embedded.stop,
  };
}

interface EmbeddedEmulators {
  kinesis?: string;
  fidelity?: string;
  dynamodb?: string;
  /** Why `fidelity` is missing (when it is). */
  fidelityMissing?: string;
  processes: StartedProcessInfo[];
  stop(): Promise<void>;
}

/** Starts the requested embedded emulators in parallel; on a failure stops the others and rethrows. */
async function startEmbedded(want: {
  kinesis: boolean;
  dynamodb: boolean;
  fidelity: boolean;
}): Promise<EmbeddedEmulators> {
  const stops: Array<() => Promise<void>> = [];
  const processes: StartedProcessInfo[] = [];
  const track = (server: InProcessEmulator): string => {
    stops.push(server.stop);
    processes.push({ name: server.name, pid: process.pid, childProcess: false, ports: [server.port] });
    return server.endpoint;
  };
  const [kinesis, dynamodb, fidelity] = await Promise.allSettled([
    want.kinesis ? startKinesalite().then(track) : undefined,
    want.dynamodb ? startDynalite().then(track) : undefined,
    want.fidelity
      ? startKinesisLocal().then((child) => {
          stops.push(child.stop);
          processes.push({
            name: 'kinesis-local',
            pid: child.pid,
            childProcess: true,
            ports: [child.plainPort, child.tlsPort],
          });
          return child.endpoint;
        })
      : undefined,
  ]);
  const stop = async (): Promise<void> => {
    const results = await Promise.allSettled(stops.map((fn) => fn()));
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
  if (kinesis.status === 'rejected' || dynamodb.status === 'rejected') {
    await stop().catch(() => {});
    throw kinesis.status === 'rejected' ? kinesis.reason : (dynamodb as PromiseRejectedResult).reason;
  }
  let fidelityMissing: string | undefined;
  if (!want.fidelity) {
    fidelityMissing = 'kinesis-local not started (KINESIS_TS_FIDELITY=off)';
  } else if (fidelity.status === 'rejected') {
    fidelityMissing = `kinesis-local failed to start: ${firstLine(fidelity.reason)}`;
  }
  return {
    ...(kinesis.value === undefined ? {} : { kinesis: kinesis.value }),
    ...(dynamodb.value === undefined ? {} : { dynamodb: dynamodb.value }),
    ...(fidelity.status === 'fulfilled' && fidelity.value !== undefined ? { fidelity: fidelity.value } : {}),
    ...(fidelityMissing === undefined ? {} : { fidelityMissing }),
    processes,
    stop,
  };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

function fidelitySkipReasons(
  fidelity: string | undefined,
  missing: string | undefined,
): Backend['skipReasons'] {
  return fidelity === undefined ? { 'kinesis-fidelity': missing ?? 'no fidelity Kinesis endpoint' } : {};
}
