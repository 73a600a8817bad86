/**
 * {@link createStateTable}: the explicit, opt-in way to create a lease table. The adapter itself never
 * creates anything.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type Clock,
  ErrorCode,
  type Logger,
  type SdkClientLike,
  StateStoreError,
  silentLogger,
  sleep,
  systemClock,
  ValidationError,
} from '@kinesis-ts/core';
import { describeError } from './dynamodb-errors.js';
import { LeaseAttribute } from './lease-item.js';
import { checkTableDescription, tableMissingError } from './table-check.js';
import { resolveTableLocation, type TableLocation } from './table-location.js';
import { validateTableName } from './table-name.js';

/** Options of {@link createStateTable}. */
export interface CreateStateTableOptions {
  /** Name of the table to create. */
  readonly tableName: string;
  /** `PAY_PER_REQUEST` (default, on-demand) or `PROVISIONED` (then give both capacity units). */
  readonly billingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED';
  /** Read capacity units, with `PROVISIONED` only. */
  readonly readCapacityUnits?: number;
  /** Write capacity units, with `PROVISIONED` only. */
  readonly writeCapacityUnits?: number;
  /**
   * Enables DynamoDB TTL on this attribute (UpdateTimeToLive). The adapter never writes it: use it for
   * your own clean-up of old items. An endpoint without TTL support (dynalite) makes the call fail.
   */
  readonly ttlAttribute?: string;
  /** Tags of the table. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Turns on deletion protection. Default false. */
  readonly deletionProtection?: boolean;
  /** How long to wait for the table to become ACTIVE, ms. Default 120000. */
  readonly waitTimeoutMs?: number;
  /** Poll interval while waiting, ms. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Timers for waiting. Default: the system clock. */
  readonly clock?: Clock;
  /** Progress messages. Silent by default. */
  readonly logger?: Logger;
}

/** What {@link createStateTable} did. */
export interface CreateStateTableResult {
  /** The table name. */
  readonly tableName: string;
  /** The table ARN, when the endpoint reports one. */
  readonly tableArn: string | undefined;
  /** False when a suitable table already existed. */
  readonly created: boolean;
}

function stateError(
  code: ErrorCode,
  message: string,
  location: TableLocation,
  cause?: unknown,
): StateStoreError {
  return new StateStoreError(code, message, { cause, context: { ...location } });
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string'
    ? (error as { name: string }).name
    : undefined;
}

/**
 * Creates a table the adapter accepts (HASH key `shard`, type S) and waits until it is ACTIVE.
 * Idempotent: an existing table with the right key schema is accepted as is (`created: false`);
 * one with another key schema is an error. Pass a `DynamoDBClient` of any SDK 3.x (left open) or a client config
 * (a client is created and destroyed).
 * @throws ValidationError for bad options; StateStoreError when creation fails or times out.
 */
export async function createStateTable(
  clientOrConfig: SdkClientLike | DynamoDBClientConfig | undefined,
  options: CreateStateTableOptions,
): Promise<CreateStateTableResult> {
  validateTableName(options?.tableName);
  const billingMode = options.billingMode ?? 'PAY_PER_REQUEST';
  if (billingMode !== 'PAY_PER_REQUEST' && billingMode !== 'PROVISIONED') {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `billingMode must be PAY_PER_REQUEST or PROVISIONED, got ${JSON.stringify(billingMode)}`,
    );
  }
  const provisioned = billingMode === 'PROVISIONED';
  for (const name of ['readCapacityUnits', 'writeCapacityUnits'] as const) {
    const value = options[name];
    if (provisioned && (!Number.isInteger(value) || (value as number) < 1)) {
      throw new ValidationError(
        ErrorCode.INVALID_ARGUMENT,
        `${name} must be an integer >= 1 with billingMode PROVISIONED, got ${String(value)}`,
      );
    }
    if (!provisioned && value !== undefined) {
      throw new ValidationError(
        ErrorCode.INVALID_ARGUMENT,
        `${name} is only allowed with billingMode PROVISIONED`,
      );
    }
  }
  if (
    options.ttlAttribute !== undefined &&
    (typeof options.ttlAttribute !== 'string' || options.ttlAttribute === '')
  ) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'ttlAttribute must be a non-empty attribute name');
  }
  const waitTimeoutMs = options.waitTimeoutMs ?? 120_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;

  const ownClient =
    !(clientOrConfig instanceof DynamoDBClient) &&
    typeof (clientOrConfig as { send?: unknown } | undefined)?.send !== 'function';
  const client = ownClient
    ? new DynamoDBClient((clientOrConfig as DynamoDBClientConfig | undefined) ?? {})
    : (clientOrConfig as DynamoDBClient);
  try {
    const location = await resolveTableLocation(client, options.tableName);
    const input: CreateTableCommandInput = {
      TableName: options.tableName,
      AttributeDefinitions: [{ AttributeName: LeaseAttribute.key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: LeaseAttribute.key, KeyType: 'HASH' }],
      BillingMode: billingMode,
      ...(provisioned
        ? {
            ProvisionedThroughput: {
              ReadCapacityUnits: options.readCapacityUnits,
              WriteCapacityUnits: options.writeCapacityUnits,
            },
          }
        : {}),
      ...(options.tags === undefined
        ? {}
        : { Tags: Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })) }),
      ...(options.deletionProtection === undefined
        ? {}
        : { DeletionProtectionEnabled: options.deletionProtection }),
    };
    let created = true;
    let table: TableDescription | undefined;
    try {
      table = (await client.send(new CreateTableCommand(input))).TableDescription;
      logger.info('creating lease table', { ...location });
    } catch (error) {
      if (errorName(error) !== 'ResourceInUseException') {
        throw stateError(
          ErrorCode.STATE_STORE_UNAVAILABLE,
          `could not create DynamoDB table "${options.tableName}" (region ${location.region}, endpoint ${location.endpoint}): ${describeError(error)}`,
          location,
          error,
        );
      }
      created = false;
    }
    const deadline = clock.now() + waitTimeoutMs;
    for (;;) {
      try {
        table = (await client.send(new DescribeTableCommand({ TableName: options.tableName }))).Table;
      } catch (error) {
        // Just created: some endpoints need a moment before DescribeTable sees the table.
        if (errorName(error) !== 'ResourceNotFoundException' || !created) {
          throw errorName(error) === 'ResourceNotFoundException'
            ? tableMissingError(location, error)
            : stateError(
                ErrorCode.STATE_STORE_UNAVAILABLE,
                `DescribeTable "${options.tableName}" failed: ${describeError(error)}`,
                location,
                error,
              );
        }
        table = undefined;
      }
      if (table !== undefined && checkTableDescription(table, location) === 'ready') break;
      if (clock.now() >= deadline) {
        throw stateError(
          ErrorCode.TIMEOUT,
          `DynamoDB table "${options.tableName}" did not become ACTIVE within ${waitTimeoutMs} ms`,
          location,
        );
      }
      await sleep(pollIntervalMs, clock);
    }
    if (options.ttlAttribute !== undefined) {
      try {
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: options.tableName,
            TimeToLiveSpecification: { AttributeName: options.ttlAttribute, Enabled: true },
          }),
        );
      } catch (error) {
        const alreadyEnabled =
          errorName(error) === 'ValidationException' && /already enabled/i.test(describeError(error));
        if (!alreadyEnabled) {
          throw stateError(
            ErrorCode.STATE_STORE_UNAVAILABLE,
            `table "${options.tableName}" is ready but enabling TTL on "${options.ttlAttribute}" failed: ${describeError(error)} (dynalite does not support TTL)`,
            location,
            error,
          );
        }
      }
    }
    return { tableName: options.tableName, tableArn: table?.TableArn, created };
  } finally {
    if (ownClient) client.destroy();
  }
}
