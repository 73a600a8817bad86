/**
 * {@link DynamoDBState}: the kinesis-ts state adapter on a DynamoDB table with a HASH key `shard` (S).
 */
import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  type AnyLogger,
  assertClientConfig,
  assertKnownOptions,
  assertSdkClient,
  type Checkpoint,
  type Clock,
  type CreateLeaseOptions,
  ErrorCode,
  type Lease,
  type LeaseConflictDetails,
  LeaseConflictError,
  type LeaseFence,
  LeaseLostError,
  type LeaseOperation,
  type LeaseScope,
  LifecycleError,
  type ListLeasesOptions,
  type Logger,
  type OptionKeys,
  prefixLogger,
  type ReleaseLeaseOptions,
  resolveLogger,
  type SdkClientLike,
  type StateAdapter,
  type StateAdapterCapabilities,
  StateStoreError,
  sleep,
  systemClock,
  ValidationError,
  validateCheckpoint,
  validateHandoffRequest,
  validateParentShardIds,
} from '@kinesis-ts/core';
import { createOwnClient } from './client-factory.js';
import { classifyDynamoDBError, describeError, type FailureKind } from './dynamodb-errors.js';
import { type Item, LeaseAttribute, leaseFromItem, newLeaseItem } from './lease-item.js';
import { decodeLeaseKey, encodeLeaseKey, scopeKeyPrefix, validateScope } from './lease-key.js';
import {
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetryOptions,
  retryDelay,
} from './retry-policy.js';
import { checkTableDescription, tableMissingError } from './table-check.js';
import { requestEndpoint, resolveTableLocation, type TableLocation } from './table-location.js';
import { validateTableName } from './table-name.js';

/** Options of {@link DynamoDBState}. */
export interface DynamoDBStateOptions {
  /** The table (name or ARN). It must exist, with a HASH key `shard` of type S and no sort key. */
  readonly tableName: string;
  /**
   * A `DynamoDBClient` to use. The adapter never destroys it. Takes precedence over `clientConfig`.
   * Typed by the shape the adapter uses, so a client of any `@aws-sdk/client-dynamodb` 3.x fits.
   */
  readonly client?: SdkClientLike;
  /**
   * Config for a client the adapter creates (and destroys on `close()`). Without `client` and
   * `clientConfig`, the SDK default chain applies (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`, credentials).
   */
  readonly clientConfig?: DynamoDBClientConfig;
  /** Retries of throttled and failed requests. */
  readonly retry?: RetryOptions;
  /**
   * Connection timeout of a client the adapter creates, ms. Default 3000: below the lease renewal
   * interval (failoverTime / 3 ≈ 3.3 s for the consumer's default 10 s failover time).
   */
  readonly connectionTimeoutMs?: number;
  /**
   * Limit of one request attempt of a client the adapter creates, connection included, ms. Default
   * 5000 (failoverTime / 2): a hung attempt ends with time left for a retry before the lease could
   * expire. A timed-out write is an unknown outcome, settled by a re-read.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Parallel scan segments used by `listLeases` (1–64). Default 1. More segments list a large
   * table faster; they read the same items (same cost).
   */
  readonly listSegments?: number;
  /** Diagnostics (retries, unknown outcomes). Silent by default. */
  readonly logger?: AnyLogger;
  /** Timers for backoff between retries. Default: the system clock. */
  readonly clock?: Clock;
}

const OPTION_KEYS: OptionKeys<DynamoDBStateOptions> = {
  tableName: true,
  client: true,
  clientConfig: true,
  retry: true,
  connectionTimeoutMs: true,
  requestTimeoutMs: true,
  listSegments: true,
  logger: true,
  clock: true,
};

/** What a re-read says about a write: done; not done but still allowed; not allowed (changed or gone). */
type Outcome = 'applied' | 'retry' | 'conflict';

/** One fenced write: how to send it and how to tell from a re-read what happened to it. */
interface WritePlan {
  readonly operation: LeaseOperation;
  readonly scope: LeaseScope;
  readonly shardId: string;
  readonly key: string;
  readonly expectedOwner: string | null;
  readonly expectedCounter: number | null;
  /** `lost` for owner writes (LeaseLostError), `conflict` for take and handoff (LeaseConflictError); also for a missing lease. */
  readonly failure: 'lost' | 'conflict';
  /** The write must see the current lease first (release with handoff needs the pending owner). */
  readonly readFirst: boolean;
  /** The request to send, given the lease read first (when `readFirst`). */
  build(current: Lease | null): UpdateItemCommandInput;
  /** What the stored lease (`null`: none) says about the write. */
  judge(stored: Lease | null): Outcome;
}

type AttemptResult<T> = { ok: true; output: T } | { ok: false; kind: FailureKind; error: unknown };

/**
 * Default timeouts of a client the adapter creates, derived from the consumer's default failover
 * time (10 s; leases renewed every failoverTime / 3 ≈ 3.3 s). A connection that cannot be made is
 * given up (3 s) before the next renewal is due, and one attempt, connection included, ends (5 s =
 * failoverTime / 2) early enough for a retry, or the re-read that settles an unknown outcome, to
 * finish before other workers may consider the lease expired. With a shorter failover time, lower
 * both in proportion.
 */
const DEFAULT_CONNECTION_TIMEOUT_MS = 3000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

const A = LeaseAttribute;

/** Expression attribute names used by every request (every attribute goes through a placeholder). */
const NAMES = {
  '#shard': A.key,
  '#owner': A.owner,
  '#counter': A.leaseCounter,
  '#checkpoint': A.checkpoint,
  '#subSequence': A.checkpointSubSequenceNumber,
  '#ended': A.ended,
  '#pending': A.pendingOwner,
  '#updatedAt': A.updatedAt,
} as const;

/** Only the placeholders an expression uses (DynamoDB rejects unused ones). */
function namesFor(...expressions: (string | undefined)[]): Record<string, string> {
  const text = expressions.join(' ');
  const names: Record<string, string> = {};
  for (const [placeholder, name] of Object.entries(NAMES)) {
    if (new RegExp(`${placeholder}\\b`).test(text)) names[placeholder] = name;
  }
  return names;
}

function fenceCondition(fence: LeaseFence, values: Record<string, AttributeValue>): string {
  values[':expectedCounter'] = { N: String(fence.leaseCounter) };
  const owner = fence.owner === null ? 'attribute_not_exists(#owner)' : '#owner = :expectedOwner';
  if (fence.owner !== null) values[':expectedOwner'] = { S: fence.owner };
  return `attribute_exists(#shard) AND ${owner} AND #counter = :expectedCounter`;
}

function sameCheckpoint(a: Checkpoint | null, b: Checkpoint | null): boolean {
  if (a === null || b === null) return a === b;
  return a.sequenceNumber === b.sequenceNumber && a.subSequenceNumber === b.subSequenceNumber;
}

/** How many attempts the SDK made for a request (its own retries, when the user's client has them). */
function sdkAttempts(error: unknown): number {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | null)?.$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : 1;
}

function holds(stored: Lease, fence: LeaseFence): boolean {
  return stored.owner === fence.owner && stored.leaseCounter === fence.leaseCounter;
}

function validateFence(fence: LeaseFence): void {
  if (typeof fence !== 'object' || fence === null) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'fence must be an object { owner, leaseCounter }');
  }
  if (fence.owner !== null && (typeof fence.owner !== 'string' || fence.owner === '')) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `fence.owner must be a non-empty string or null, got ${JSON.stringify(fence.owner)}`,
    );
  }
  if (!Number.isSafeInteger(fence.leaseCounter) || fence.leaseCounter < 0) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `fence.leaseCounter must be an integer >= 0, got ${String(fence.leaseCounter)}`,
    );
  }
}

function validateOwner(name: string, owner: unknown): asserts owner is string {
  if (typeof owner !== 'string' || owner === '') {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `${name} must be a non-empty string, got ${JSON.stringify(owner)}`,
    );
  }
}

function positiveInteger(
  name: string,
  value: number | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < 1 || resolved > max) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `${name} must be an integer in 1..${max}, got ${String(value)}`,
    );
  }
  return resolved;
}

/**
 * Leases and checkpoints in a DynamoDB table: shared by every consumer instance that points at the
 * same table, fenced by conditional writes on owner + lease counter.
 *
 * ```ts
 * const consumer = new KinesisConsumer({ streamName: 'my-stream', state: new DynamoDBState({ tableName: 'my-kinesis-state' }) });
 * ```
 */
export class DynamoDBState implements StateAdapter {
  /** Shared across processes, durable, consistent listing (strongly consistent reads). */
  readonly capabilities: StateAdapterCapabilities = Object.freeze({
    sharedAcrossProcesses: true,
    durable: true,
    consistentListing: true,
  });

  /** The table this adapter uses. */
  readonly tableName: string;

  readonly #userClient: SdkClientLike | undefined;
  readonly #clientConfig: DynamoDBClientConfig | undefined;
  readonly #retry: ResolvedRetryOptions;
  readonly #connectionTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #listSegments: number;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #client: DynamoDBClient | undefined;
  #ownsClient = false;
  #starting: Promise<void> | undefined;
  #started = false;
  #closed = false;
  #location: TableLocation | undefined;

  /** Checks the options; no I/O. @throws ValidationError for an invalid table name or option. */
  constructor(options: DynamoDBStateOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'DynamoDBState needs options { tableName }');
    }
    assertKnownOptions(options, OPTION_KEYS, { subject: 'DynamoDBState option' });
    validateTableName(options.tableName);
    assertSdkClient(options.client, 'client', 'a DynamoDBClient from @aws-sdk/client-dynamodb', {
      subject: 'DynamoDBState option',
    });
    assertClientConfig(options.clientConfig, 'clientConfig', { subject: 'DynamoDBState option' });
    if (
      options.logger !== undefined &&
      (options.logger === null ||
        ['debug', 'info', 'warn', 'error'].some(
          (m) => typeof (options.logger as unknown as Record<string, unknown>)[m] !== 'function',
        ))
    ) {
      throw new ValidationError(
        ErrorCode.INVALID_ARGUMENT,
        'DynamoDBState option logger must have debug, info, warn and error methods',
        { context: { option: 'logger', value: typeof options.logger } },
      );
    }
    this.tableName = options.tableName;
    this.#userClient = options.client;
    this.#clientConfig = options.clientConfig;
    this.#retry = resolveRetryOptions(options.retry);
    this.#connectionTimeoutMs = positiveInteger(
      'connectionTimeoutMs',
      options.connectionTimeoutMs,
      DEFAULT_CONNECTION_TIMEOUT_MS,
    );
    this.#requestTimeoutMs = positiveInteger(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
    );
    this.#listSegments = positiveInteger('listSegments', options.listSegments, 1, 64);
    this.#logger = prefixLogger(resolveLogger(options.logger), '[state-dynamodb]');
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Checks the table (DescribeTable): it must exist where the client points, with a HASH key
   * `shard` (S) and no sort key. Idempotent; concurrent calls share one attempt; a failed start may
   * be retried.
   * @throws StateStoreError `STATE_STORE_MISCONFIGURED` (missing table, wrong key, no credentials)
   *   or `STATE_STORE_UNAVAILABLE` (unreachable after retries).
   */
  start(): Promise<void> {
    if (this.#closed)
      return Promise.reject(
        new LifecycleError(ErrorCode.CLOSED, 'DynamoDBState was closed; create a new one'),
      );
    if (this.#started) return Promise.resolve();
    this.#starting ??= this.#start().then(
      () => {
        this.#started = true;
      },
      (error: unknown) => {
        this.#starting = undefined;
        throw error;
      },
    );
    return this.#starting;
  }

  /** Destroys the client the adapter created (never a client passed in). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#started = false;
    if (this.#ownsClient) this.#client?.destroy();
    this.#client = undefined;
  }

  /**
   * Every lease of the scope. A Scan of the whole table with `ConsistentRead` and a
   * `begins_with(shard, prefix)` filter, paged to the end: it reads (and is billed for) every item
   * of the table, other groups' and streams' included.
   */
  async listLeases(scope: LeaseScope, options?: ListLeasesOptions): Promise<Lease[]> {
    const client = this.#ready();
    const prefix = scopeKeyPrefix(scope);
    const signal = options?.signal;
    const segments = this.#listSegments;
    const pages = await Promise.all(
      Array.from({ length: segments }, (_, segment) =>
        this.#scanSegment(client, prefix, segment, segments, signal),
      ),
    );
    const leases: Lease[] = [];
    for (const items of pages) {
      for (const item of items) {
        const ids = decodeLeaseKey(item[A.key]?.S ?? '');
        if (
          ids === null ||
          ids.consumerGroup !== scope.consumerGroup ||
          ids.streamName !== scope.streamName
        ) {
          this.#logger.debug('skipping an item that is not a lease of this scope', { key: item[A.key]?.S });
          continue;
        }
        leases.push(leaseFromItem(item));
      }
    }
    return leases;
  }

  /** One lease (strongly consistent read), or `null`. */
  async getLease(scope: LeaseScope, shardId: string): Promise<Lease | null> {
    const client = this.#ready();
    return this.#read(client, encodeLeaseKey(scope, shardId), 'getLease');
  }

  /** The stored checkpoint, or `null` when there is none (or no lease). */
  async getCheckpoint(scope: LeaseScope, shardId: string): Promise<Checkpoint | null> {
    const lease = await this.getLease(scope, shardId);
    return lease?.checkpoint ?? null;
  }

  /**
   * Creates the lease if absent (`PutItem` with `attribute_not_exists(shard)`); otherwise returns the
   * stored one unchanged.
   */
  async createLease(scope: LeaseScope, shardId: string, options?: CreateLeaseOptions): Promise<Lease> {
    const client = this.#ready();
    const key = encodeLeaseKey(scope, shardId);
    const parents = options?.parentShardIds ?? [];
    validateParentShardIds(shardId, parents);
    const item = newLeaseItem(
      key,
      { consumerGroup: scope.consumerGroup, streamName: scope.streamName, shardId },
      parents,
      this.#now(),
    );
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt((o) =>
        client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#shard)',
            ExpressionAttributeNames: namesFor('#shard'),
          }),
          o,
        ),
      );
      if (result.ok) return leaseFromItem(item);
      if (result.kind === 'condition' || result.kind === 'retry-unknown-outcome') {
        // Exists (maybe created by our own earlier attempt): the stored lease is the answer.
        const stored = await this.#read(client, key, 'createLease');
        if (stored !== null) return stored;
        if (result.kind === 'condition') {
          throw new StateStoreError(
            ErrorCode.STATE_STORE_UNAVAILABLE,
            `lease ${key} existed on create but vanished on read: is something deleting items in table ${this.tableName}?`,
            {
              cause: result.error,
              context: { key, tableName: this.tableName },
            },
          );
        }
      }
      await this.#afterFailure(result, attempt, 'createLease', key);
    }
  }

  /** Takes a lease conditional on the observed owner + counter. @throws LeaseConflictError (also when the lease does not exist). */
  async takeLease(scope: LeaseScope, shardId: string, fence: LeaseFence, newOwner: string): Promise<Lease> {
    const client = this.#ready();
    validateFence(fence);
    validateOwner('newOwner', newOwner);
    const next = fence.leaseCounter + 1;
    return this.#write(client, {
      ...this.#planBase('take', scope, shardId, fence, 'conflict'),
      build: () => {
        const values: Record<string, AttributeValue> = {
          ':newOwner': { S: newOwner },
          ':next': { N: String(next) },
          ':now': this.#nowValue(),
        };
        const condition = fenceCondition(fence, values);
        const update = 'SET #owner = :newOwner, #counter = :next, #updatedAt = :now REMOVE #pending';
        return this.#updateInput(scope, shardId, condition, update, values);
      },
      judge: (stored) => {
        if (stored === null) return 'conflict';
        if (stored.owner === newOwner && stored.leaseCounter === next) return 'applied';
        return holds(stored, fence) ? 'retry' : 'conflict';
      },
    });
  }

  /** Renews a held lease (counter + 1). @throws LeaseLostError (also when the lease does not exist or `fence.owner` is null). */
  async renewLease(scope: LeaseScope, shardId: string, fence: LeaseFence): Promise<Lease> {
    const client = this.#ready();
    validateFence(fence);
    const next = fence.leaseCounter + 1;
    return this.#write(client, {
      ...this.#planBase('renew', scope, shardId, fence, 'lost'),
      build: () => {
        const values: Record<string, AttributeValue> = {
          ':next': { N: String(next) },
          ':now': this.#nowValue(),
        };
        const condition = fenceCondition(fence, values);
        return this.#updateInput(
          scope,
          shardId,
          condition,
          'SET #counter = :next, #updatedAt = :now',
          values,
        );
      },
      judge: (stored) => {
        if (stored === null) return 'conflict';
        if (stored.owner === fence.owner && stored.leaseCounter === next) return 'applied';
        return holds(stored, fence) ? 'retry' : 'conflict';
      },
    });
  }

  /** Stores a checkpoint (counter unchanged). @throws LeaseLostError (also when the lease does not exist or `fence.owner` is null). */
  async checkpoint(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    checkpoint: Checkpoint,
  ): Promise<Lease> {
    const client = this.#ready();
    validateFence(fence);
    validateCheckpoint(checkpoint);
    const wanted: Checkpoint = {
      sequenceNumber: checkpoint.sequenceNumber,
      subSequenceNumber: checkpoint.subSequenceNumber,
    };
    return this.#write(client, {
      ...this.#planBase('checkpoint', scope, shardId, fence, 'lost'),
      build: () => {
        const values: Record<string, AttributeValue> = {
          ':checkpoint': { S: wanted.sequenceNumber },
          ':subSequence': { N: String(wanted.subSequenceNumber) },
          ':now': this.#nowValue(),
        };
        const condition = fenceCondition(fence, values);
        const update = 'SET #checkpoint = :checkpoint, #subSequence = :subSequence, #updatedAt = :now';
        return this.#updateInput(scope, shardId, condition, update, values);
      },
      judge: (stored) => {
        if (stored === null) return 'conflict';
        if (!holds(stored, fence)) return 'conflict';
        return sameCheckpoint(stored.checkpoint, wanted) ? 'applied' : 'retry';
      },
    });
  }

  /**
   * Releases a held lease (counter + 1): to nobody, or with `handoff` to the pending owner (read
   * first, then written conditional on it).
   * @throws LeaseLostError (also when the lease does not exist or `fence.owner` is null).
   */
  async releaseLease(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    options?: ReleaseLeaseOptions,
  ): Promise<Lease> {
    const client = this.#ready();
    validateFence(fence);
    const next = fence.leaseCounter + 1;
    const handoff = options?.handoff === true;
    // The owner the last attempt handed the lease to (null: released to nobody).
    let target: string | null = null;
    return this.#write(client, {
      ...this.#planBase('release', scope, shardId, fence, 'lost'),
      readFirst: handoff,
      build: (current) => {
        target = handoff ? (current?.pendingOwner ?? null) : null;
        const values: Record<string, AttributeValue> = {
          ':next': { N: String(next) },
          ':now': this.#nowValue(),
        };
        let condition = fenceCondition(fence, values);
        let update: string;
        if (target === null) {
          update = 'SET #counter = :next, #updatedAt = :now REMOVE #owner, #pending';
          if (handoff) condition += ' AND attribute_not_exists(#pending)';
        } else {
          values[':target'] = { S: target };
          condition += ' AND #pending = :target';
          update = 'SET #owner = :target, #counter = :next, #updatedAt = :now REMOVE #pending';
        }
        return this.#updateInput(scope, shardId, condition, update, values);
      },
      judge: (stored) => {
        if (stored === null) return 'conflict';
        if (
          stored.leaseCounter === next &&
          stored.owner === target &&
          stored.pendingOwner === null &&
          !holds(stored, fence)
        ) {
          return 'applied';
        }
        return holds(stored, fence) ? 'retry' : 'conflict';
      },
    });
  }

  /** Marks the shard as ended (counter + 1), with an optional final checkpoint. @throws LeaseLostError (also when the lease does not exist or `fence.owner` is null). */
  async markShardEnded(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    finalCheckpoint?: Checkpoint,
  ): Promise<Lease> {
    const client = this.#ready();
    validateFence(fence);
    if (finalCheckpoint !== undefined) validateCheckpoint(finalCheckpoint);
    const next = fence.leaseCounter + 1;
    return this.#write(client, {
      ...this.#planBase('end', scope, shardId, fence, 'lost'),
      build: () => {
        const values: Record<string, AttributeValue> = {
          ':next': { N: String(next) },
          ':true': { BOOL: true },
          ':now': this.#nowValue(),
        };
        const condition = fenceCondition(fence, values);
        let update = 'SET #ended = :true, #counter = :next, #updatedAt = :now';
        if (finalCheckpoint !== undefined) {
          values[':checkpoint'] = { S: finalCheckpoint.sequenceNumber };
          values[':subSequence'] = { N: String(finalCheckpoint.subSequenceNumber) };
          update += ', #checkpoint = :checkpoint, #subSequence = :subSequence';
        }
        return this.#updateInput(scope, shardId, condition, update, values);
      },
      judge: (stored) => {
        if (stored === null) return 'conflict';
        const checkpointDone =
          finalCheckpoint === undefined || sameCheckpoint(stored.checkpoint, finalCheckpoint);
        if (stored.owner === fence.owner && stored.leaseCounter === next && stored.ended && checkpointDone)
          return 'applied';
        return holds(stored, fence) ? 'retry' : 'conflict';
      },
    });
  }

  /**
   * Sets `pendingOwner` to `requester`, conditional on the owner still being `fence.owner` and no
   * other handoff pending (asking again for the same requester is a no-op). Counter unchanged.
   * @throws LeaseConflictError (also when the lease does not exist).
   */
  async requestHandoff(
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    requester: string,
  ): Promise<Lease> {
    const client = this.#ready();
    validateFence(fence);
    validateHandoffRequest(fence, requester);
    return this.#write(client, {
      ...this.#planBase('handoff', scope, shardId, fence, 'conflict'),
      expectedCounter: null,
      build: () => {
        // #write never sends a handoff request with a null owner (nobody holds an unowned lease).
        const values: Record<string, AttributeValue> = {
          ':requester': { S: requester },
          ':expectedOwner': { S: String(fence.owner) },
          ':now': this.#nowValue(),
        };
        const condition =
          'attribute_exists(#shard) AND #owner = :expectedOwner AND (attribute_not_exists(#pending) OR #pending = :requester)';
        return this.#updateInput(
          scope,
          shardId,
          condition,
          'SET #pending = :requester, #updatedAt = :now',
          values,
        );
      },
      judge: (stored) => {
        if (stored === null) return 'conflict';
        if (stored.owner !== fence.owner) return 'conflict';
        if (stored.pendingOwner === requester) return 'applied';
        return stored.pendingOwner === null ? 'retry' : 'conflict';
      },
    });
  }

  // ---------------------------------------------------------------------------------------------

  async #start(): Promise<void> {
    if (this.#client === undefined) {
      if (this.#userClient !== undefined) {
        // Typed structurally for users on any SDK 3.x; at run time a DynamoDBClient (one copy of the
        // SDK: it is a peer dependency).
        this.#client = this.#userClient as DynamoDBClient;
      } else {
        this.#client = createOwnClient(this.#clientConfig, {
          connectionTimeoutMs: this.#connectionTimeoutMs,
          requestTimeoutMs: this.#requestTimeoutMs,
        });
        this.#ownsClient = true;
      }
    }
    const client = this.#client;
    let observedEndpoint: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const command = new DescribeTableCommand({ TableName: this.tableName });
      command.middlewareStack?.add(
        (next) => async (args) => {
          const request = (args as { request?: { hostname?: string } }).request;
          if (request?.hostname !== undefined) observedEndpoint = requestEndpoint(request);
          return next(args);
        },
        { step: 'finalizeRequest', name: 'kinesisTsObserveEndpoint' },
      );
      const result = await this.#attempt((o) => client.send(command, o));
      if (this.#closed) throw new LifecycleError(ErrorCode.CLOSED, 'DynamoDBState was closed while starting');
      this.#location = await resolveTableLocation(client, this.tableName, observedEndpoint);
      if (result.ok) {
        const table = result.output.Table;
        if (table === undefined)
          throw new StateStoreError(
            ErrorCode.STATE_STORE_UNAVAILABLE,
            'DescribeTable returned no table description',
          );
        const status = checkTableDescription(table, this.#location);
        if (status === 'ready') {
          this.#logger.info('table checked', { ...this.#location });
          return;
        }
        if (attempt >= this.#retry.maxAttempts) {
          throw new StateStoreError(
            ErrorCode.STATE_STORE_UNAVAILABLE,
            `DynamoDB table "${this.tableName}" is still CREATING; start() again once it is ACTIVE`,
            {
              context: { ...this.#location },
            },
          );
        }
        await sleep(retryDelay(attempt, this.#retry), this.#clock);
        continue;
      }
      if (result.kind === 'table-missing') throw tableMissingError(this.#location, result.error);
      await this.#afterFailure(result, attempt, 'start (DescribeTable)', this.tableName);
    }
  }

  #ready(): DynamoDBClient {
    if (this.#closed) throw new LifecycleError(ErrorCode.CLOSED, 'DynamoDBState is closed');
    if (!this.#started || this.#client === undefined) {
      throw new LifecycleError(ErrorCode.NOT_STARTED, 'DynamoDBState is not started: await start() first');
    }
    return this.#client;
  }

  #now(): Date {
    // Wall-clock time on purpose: `updatedAt` is for people reading the table, never for expiry.
    return new Date();
  }

  #nowValue(): AttributeValue {
    return { S: this.#now().toISOString() };
  }

  #planBase(
    operation: LeaseOperation,
    scope: LeaseScope,
    shardId: string,
    fence: LeaseFence,
    failure: 'lost' | 'conflict',
  ): Pick<
    WritePlan,
    'operation' | 'scope' | 'shardId' | 'key' | 'expectedOwner' | 'expectedCounter' | 'failure' | 'readFirst'
  > {
    validateScope(scope);
    return {
      operation,
      scope,
      shardId,
      key: encodeLeaseKey(scope, shardId),
      expectedOwner: fence.owner,
      expectedCounter: fence.leaseCounter,
      failure,
      readFirst: false,
    };
  }

  #updateInput(
    scope: LeaseScope,
    shardId: string,
    condition: string,
    update: string,
    values: Record<string, AttributeValue>,
  ): UpdateItemCommandInput {
    return {
      TableName: this.tableName,
      Key: { [A.key]: { S: encodeLeaseKey(scope, shardId) } },
      ConditionExpression: condition,
      UpdateExpression: update,
      ExpressionAttributeNames: namesFor(condition, update),
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    };
  }

  /**
   * Runs a fenced write. A failed condition or an unknown outcome (timeout, reset, 5xx) is resolved
   * by re-reading the lease: applied → the stored lease; still allowed → send again; otherwise the
   * typed conflict. Throttling backs off and retries; all bounded by `retry.maxAttempts`.
   */
  async #write(client: DynamoDBClient, plan: WritePlan): Promise<Lease> {
    if (plan.expectedOwner === null && plan.operation !== 'take') {
      // Owner writes and handoff requests need an owner: nobody holds an unowned lease. Read only
      // to report what is stored.
      throw this.#conflict(plan, await this.#read(client, plan.key, plan.operation), undefined);
    }
    let reread = plan.readFirst;
    let current: Lease | null = null;
    let lastFailure: AttemptResult<never> | undefined;
    // True once an attempt of this call may have been applied without our knowing (timeout, reset,
    // 5xx, or a condition failure after the SDK's own retries). Only then can a re-read showing the
    // write's result be taken as our success: otherwise the same state may come from a stale fence.
    let mayHaveApplied = false;
    for (let attempt = 1; ; attempt++) {
      if (reread) {
        current = await this.#read(client, plan.key, plan.operation);
        const outcome = plan.judge(current);
        if (outcome === 'applied' && current !== null && mayHaveApplied) {
          this.#logger.info('write outcome resolved by re-reading: applied', {
            operation: plan.operation,
            key: plan.key,
          });
          return current;
        }
        // A missing lease fails the condition like a changed one (never an implicit create).
        // "applied" without a possibly-applied attempt is a stale fence that happens to match.
        if (outcome !== 'retry')
          throw this.#conflict(plan, current, lastFailure?.ok === false ? lastFailure.error : undefined);
      }
      if (attempt > this.#retry.maxAttempts) {
        throw this.#unavailable(
          plan.operation,
          plan.key,
          attempt - 1,
          lastFailure?.ok === false ? lastFailure.error : undefined,
        );
      }
      const input = plan.build(current);
      const result = await this.#attempt((o) => client.send(new UpdateItemCommand(input), o));
      if (result.ok) {
        const attributes = result.output.Attributes;
        if (attributes !== undefined) return leaseFromItem(attributes);
        const stored = await this.#read(client, plan.key, plan.operation);
        if (stored === null) throw this.#conflict(plan, stored, undefined);
        return stored;
      }
      lastFailure = result;
      switch (result.kind) {
        case 'condition':
          if (sdkAttempts(result.error) > 1) mayHaveApplied = true;
          reread = true;
          break;
        case 'retry-unknown-outcome':
          mayHaveApplied = true;
          this.#logger.warn('write outcome unknown; re-reading the lease', {
            operation: plan.operation,
            key: plan.key,
            attempt,
            error: result.error,
          });
          await sleep(retryDelay(attempt, this.#retry), this.#clock);
          reread = true;
          break;
        case 'retry-not-applied':
          this.#logger.debug('write not applied; retrying', {
            operation: plan.operation,
            key: plan.key,
            attempt,
            error: result.error,
          });
          await sleep(retryDelay(attempt, this.#retry), this.#clock);
          reread = plan.readFirst;
          break;
        default:
          throw this.#fatal(result, plan.operation, plan.key);
      }
    }
  }

  /** A strongly consistent GetItem with retries. */
  async #read(client: DynamoDBClient, key: string, operation: string): Promise<Lease | null> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.#attempt((o) =>
        client.send(
          new GetItemCommand({
            TableName: this.tableName,
            Key: { [A.key]: { S: key } },
            ConsistentRead: true,
          }),
          o,
        ),
      );
      if (result.ok) return result.output.Item === undefined ? null : leaseFromItem(result.output.Item);
      await this.#afterFailure(result, attempt, `${operation} (GetItem)`, key);
    }
  }

  async #scanSegment(
    client: DynamoDBClient,
    prefix: string,
    segment: number,
    segments: number,
    signal: AbortSignal | undefined,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      signal?.throwIfAborted();
      let page: ScanCommandOutput | undefined;
      for (let attempt = 1; page === undefined; attempt++) {
        const result = await this.#attempt(
          (o) =>
            client.send(
              new ScanCommand({
                TableName: this.tableName,
                ConsistentRead: true,
                FilterExpression: 'begins_with(#shard, :prefix)',
                ExpressionAttributeNames: namesFor('#shard'),
                ExpressionAttributeValues: { ':prefix': { S: prefix } },
                ...(segments > 1 ? { Segment: segment, TotalSegments: segments } : {}),
                ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
              }),
              o,
            ),
          signal,
        );
        if (result.ok) page = result.output;
        else await this.#afterFailure(result, attempt, 'listLeases (Scan)', prefix, signal);
      }
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /** Sends one request; never throws a DynamoDB failure, only returns it classified. */
  async #attempt<Output>(
    send: (options: { abortSignal?: AbortSignal }) => Promise<Output>,
    signal?: AbortSignal,
  ): Promise<AttemptResult<Output>> {
    try {
      const output = await send(signal === undefined ? {} : { abortSignal: signal });
      return { ok: true, output };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return { ok: false, kind: classifyDynamoDBError(error), error };
    }
  }

  /** Backs off after a retryable failure, or throws the typed error for a final one. */
  async #afterFailure(
    result: AttemptResult<unknown>,
    attempt: number,
    operation: string,
    key: string,
    signal?: AbortSignal,
  ): Promise<void> {
    if (result.ok) return;
    if (result.kind !== 'retry-not-applied' && result.kind !== 'retry-unknown-outcome')
      throw this.#fatal(result, operation, key);
    if (attempt >= this.#retry.maxAttempts) throw this.#unavailable(operation, key, attempt, result.error);
    this.#logger.debug('request failed; retrying', {
      operation,
      key,
      attempt,
      error: result.error,
    });
    await sleep(retryDelay(attempt, this.#retry), this.#clock, signal);
  }

  #fatal(result: { kind: FailureKind; error: unknown }, operation: string, key: string): StateStoreError {
    if (result.kind === 'table-missing' && this.#location !== undefined)
      return tableMissingError(this.#location, result.error);
    const code =
      result.kind === 'misconfigured' || result.kind === 'table-missing'
        ? ErrorCode.STATE_STORE_MISCONFIGURED
        : ErrorCode.STATE_STORE_UNAVAILABLE;
    const hint =
      result.kind === 'misconfigured'
        ? ' Check credentials (AWS_PROFILE / AWS_ACCESS_KEY_ID), region and the IAM permissions listed in the @kinesis-ts/state-dynamodb README.'
        : '';
    return new StateStoreError(
      code,
      `DynamoDB ${operation} on table "${this.tableName}" failed: ${describeError(result.error)}.${hint}`,
      {
        cause: result.error,
        context: { tableName: this.tableName, key, operation, ...this.#location },
      },
    );
  }

  #unavailable(operation: string, key: string, attempts: number, cause: unknown): StateStoreError {
    return new StateStoreError(
      ErrorCode.STATE_STORE_UNAVAILABLE,
      `DynamoDB ${operation} on table "${this.tableName}" failed after ${attempts} attempts: ${describeError(cause)}`,
      { cause, context: { tableName: this.tableName, key, operation, attempts, ...this.#location } },
    );
  }

  #conflict(plan: WritePlan, stored: Lease | null, cause: unknown): LeaseConflictError {
    const details: LeaseConflictDetails = {
      consumerGroup: plan.scope.consumerGroup,
      streamName: plan.scope.streamName,
      shardId: plan.shardId,
      operation: plan.operation,
      expectedOwner: plan.expectedOwner,
      expectedCounter: plan.expectedCounter,
      actualOwner: stored?.owner ?? null,
      actualCounter: stored?.leaseCounter ?? null,
    };
    const what = `${plan.operation} of lease ${plan.scope.streamName}/${plan.shardId} (group ${plan.scope.consumerGroup})`;
    const message =
      stored === null
        ? `${what} failed: the lease does not exist`
        : plan.operation === 'handoff' && stored.owner === null
          ? `${what} refused: the lease is unowned; take it instead`
          : plan.operation === 'handoff' && stored.owner === plan.expectedOwner
            ? `${what} refused: ${String(stored.pendingOwner)} already asked for it`
            : undefined;
    const options = message === undefined ? { cause } : { cause, message };
    return plan.failure === 'lost'
      ? new LeaseLostError(details, options)
      : new LeaseConflictError(details, options);
  }
}
