/** A LocalStack container started through testcontainers. */
export interface LocalStackInstance {
  /** `http://<host>:<port>`, serving Kinesis and DynamoDB. */
  readonly endpoint: string;
  /** Stops and removes the container; idempotent. */
  stop(): Promise<void>;
}

/** Default image; override with `KINESIS_TS_LOCALSTACK_IMAGE`. */
export const DEFAULT_LOCALSTACK_IMAGE = 'localstack/localstack:4.4';

/**
 * Starts LocalStack with only Kinesis and DynamoDB, stream transitions made instant (`KINESIS_LATENCY=0`).
 * `LOCALSTACK_AUTH_TOKEN` is passed through when set. Call only after {@link probeDocker} succeeded.
 */
export async function startLocalStack(image: string = DEFAULT_LOCALSTACK_IMAGE): Promise<LocalStackInstance> {
  const { LocalstackContainer } = await import('@testcontainers/localstack');
  const environment: Record<string, string> = { SERVICES: 'kinesis,dynamodb', KINESIS_LATENCY: '0' };
  const token = process.env.LOCALSTACK_AUTH_TOKEN;
  if (token !== undefined && token !== '') environment.LOCALSTACK_AUTH_TOKEN = token;
  const container = await new LocalstackContainer(image).withEnvironment(environment).start();
  let stopping: Promise<void> | undefined;
  return {
    endpoint: container.getConnectionUri(),
    stop: () => {
      stopping ??= container.stop().then(() => undefined);
      return stopping;
    },
  };
}
