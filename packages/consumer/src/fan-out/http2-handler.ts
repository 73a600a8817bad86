/**
 * The HTTP handler SubscribeToShard runs on. AWS requires HTTP/2 for it. The SDK's default
 * `NodeHttp2Handler` opens an isolated session per event stream (a TCP + TLS connection per shard,
 * closed from our side right after the response headers, which kinesis-local answers with a
 * protocol error); this one multiplexes subscriptions over a few pooled sessions with bounded
 * flow-control windows and session memory, and drops sessions that go quiet or send GOAWAY.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ErrorCode, ValidationError } from '@kinesis-ts/core';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';

/** Which protocol SubscribeToShard uses: `'http2'` (AWS requires it) or `'http1'` (emulators). */
export type FanOutHttpProtocol = 'http2' | 'http1';

/** Options of {@link createFanOutHttpHandler}. */
export interface FanOutHttpHandlerOptions {
  /**
   * `'http2'` (default): pooled HTTP/2 sessions; required by AWS, works on kinesis-local and
   * LocalStack. `'http1'`: an HTTP/1.1 keep-alive connection per subscription; works on kinesis-local,
   * never on AWS.
   */
  readonly protocol?: FanOutHttpProtocol;
  /**
   * Most concurrent subscriptions (HTTP/2 streams) per session; more shards open more sessions.
   * Default 32.
   */
  readonly maxStreamsPerSession?: number;
  /**
   * HTTP/2 flow-control window per stream in bytes: what the server may send on a subscription we
   * are not reading (backpressure). Default 512 KiB (KCL's value).
   */
  readonly initialWindowSize?: number;
  /**
   * Node's `maxSessionMemory` (MiB) per session; new streams are refused above it. Default: enough
   * for every stream's window plus 8 MiB (`ceil(maxStreamsPerSession * initialWindowSize / MiB) + 8`).
   */
  readonly maxSessionMemoryMiB?: number;
  /**
   * A session with no frame for this long is destroyed and leaves the pool (a dead connection must
   * not keep receiving new subscriptions). Default 60,000 ms; AWS sends an event at least every 5 s.
   */
  readonly sessionIdleTimeoutMs?: number;
  /** Sockets per host for `'http1'` (one per subscription). Default 256. */
  readonly maxSockets?: number;
}

/** The defaults of {@link FanOutHttpHandlerOptions}. */
export const FAN_OUT_HTTP_DEFAULTS = {
  protocol: 'http2',
  maxStreamsPerSession: 32,
  initialWindowSize: 512 * 1024,
  sessionIdleTimeoutMs: 60_000,
  maxSockets: 256,
} as const;

type HandleOptions = Parameters<NodeHttp2Handler['handle']>[1];

/**
 * A `NodeHttp2Handler` that puts event-stream requests on pooled sessions like any other request
 * instead of an isolated session each.
 */
export class PooledHttp2Handler extends NodeHttp2Handler {
  override handle(
    request: Parameters<NodeHttp2Handler['handle']>[0],
    options: HandleOptions = {},
  ): ReturnType<NodeHttp2Handler['handle']> {
    return super.handle(request, { ...options, isEventStream: false });
  }
}

function positive(name: string, value: number | undefined, fallback: number, max = 2 ** 31 - 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `fan-out http option ${name} must be an integer in 1..${max}`,
      {
        context: { option: name, value },
      },
    );
  }
  return value;
}

/** The resolved HTTP/2 settings (for logs and tests). */
export interface ResolvedFanOutHttp2Settings {
  readonly maxStreamsPerSession: number;
  readonly initialWindowSize: number;
  readonly maxSessionMemoryMiB: number;
  readonly sessionIdleTimeoutMs: number;
}

/**
 * Validates the HTTP/2 options and applies the defaults.
 * @throws ValidationError (`INVALID_ARGUMENT`) for a bad value.
 */
export function resolveFanOutHttp2Settings(
  options: FanOutHttpHandlerOptions = {},
): ResolvedFanOutHttp2Settings {
  const maxStreamsPerSession = positive(
    'maxStreamsPerSession',
    options.maxStreamsPerSession,
    FAN_OUT_HTTP_DEFAULTS.maxStreamsPerSession,
  );
  const initialWindowSize = positive(
    'initialWindowSize',
    options.initialWindowSize,
    FAN_OUT_HTTP_DEFAULTS.initialWindowSize,
  );
  const windows = Math.ceil((maxStreamsPerSession * initialWindowSize) / (1024 * 1024));
  return {
    maxStreamsPerSession,
    initialWindowSize,
    maxSessionMemoryMiB: positive('maxSessionMemoryMiB', options.maxSessionMemoryMiB, windows + 8),
    sessionIdleTimeoutMs: positive(
      'sessionIdleTimeoutMs',
      options.sessionIdleTimeoutMs,
      FAN_OUT_HTTP_DEFAULTS.sessionIdleTimeoutMs,
    ),
  };
}

/**
 * Creates the request handler for SubscribeToShard (see {@link FanOutHttpHandlerOptions}).
 * @throws ValidationError (`INVALID_ARGUMENT`) for a bad option.
 */
export function createFanOutHttpHandler(
  options: FanOutHttpHandlerOptions = {},
): NodeHttp2Handler | NodeHttpHandler {
  const protocol = options.protocol ?? FAN_OUT_HTTP_DEFAULTS.protocol;
  if (protocol === 'http1') {
    const agent = {
      keepAlive: true,
      maxSockets: positive('maxSockets', options.maxSockets, FAN_OUT_HTTP_DEFAULTS.maxSockets),
    };
    return new NodeHttpHandler({ httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) });
  }
  if (protocol !== 'http2') {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      "fan-out http option protocol must be 'http2' or 'http1'",
      {
        context: { option: 'protocol', value: protocol },
      },
    );
  }
  const settings = resolveFanOutHttp2Settings(options);
  return new PooledHttp2Handler({
    disableConcurrentStreams: false,
    maxConcurrentStreams: settings.maxStreamsPerSession,
    sessionTimeout: settings.sessionIdleTimeoutMs,
    nodeHttp2ConnectOptions: {
      maxSessionMemory: settings.maxSessionMemoryMiB,
      settings: { enablePush: false, initialWindowSize: settings.initialWindowSize },
    },
  });
}
