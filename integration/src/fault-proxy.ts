import { randomUUID } from 'node:crypto';
import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** A request seen by the {@link FaultProxy}, body fully read. */
export interface ProxiedRequest {
  /** The `X-Amz-Target` header, e.g. `Kinesis_20131202.GetRecords`. */
  readonly target: string | undefined;
  /** The operation part of the target, e.g. `GetRecords`. */
  readonly operation: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

/** A response produced by a `respond` fault or returned by `forward`. */
export interface ProxyResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Sends a (possibly rewritten) request body upstream and returns the buffered upstream response. */
export type Forward = (
  body?: string | Buffer,
) => Promise<Required<Pick<ProxyResponse, 'status' | 'headers'>> & { body: Buffer }>;

/** What happens to a matching request. */
export type Fault =
  /** Answer with an AWS JSON error (`__type`), never reaching the emulator. */
  | { kind: 'error'; errorType: string; message?: string; status?: number }
  /** Destroy the client connection without any response. */
  | { kind: 'drop' }
  /** Forward after waiting `ms`. */
  | { kind: 'delay'; ms: number }
  /** Answer with whatever `respond` returns; it may call `forward` (e.g. to fake a partial PutRecords failure). */
  | {
      kind: 'respond';
      respond: (request: ProxiedRequest, forward: Forward) => ProxyResponse | Promise<ProxyResponse>;
    };

/**
 * Which requests a fault applies to: `'*'` (all), an operation name (`'GetRecords'`), a full target
 * (`'Kinesis_20131202.GetRecords'`), a RegExp tested on the target, or a predicate.
 */
export type FaultMatch = string | RegExp | ((request: ProxiedRequest) => boolean);

/** An installed fault. */
export interface FaultRule {
  readonly fault: Fault;
  /** Requests it has applied to so far. */
  readonly hits: number;
  /** Requests it will still apply to (`Infinity` for a permanent fault). */
  readonly remaining: number;
  /** Removes the rule. */
  cancel(): void;
}

/** One entry of {@link FaultProxy.requests}. */
export interface ProxyLogEntry {
  /** The `X-Amz-Target` header. */
  readonly target: string | undefined;
  /** The operation part of the target, e.g. `GetRecords`. */
  readonly operation: string | undefined;
  /** The fault applied, or `undefined` when the request was forwarded untouched. */
  readonly fault: Fault['kind'] | undefined;
}

interface MutableRule extends FaultRule {
  readonly match: FaultMatch;
  hits: number;
  remaining: number;
}

/**
 * A small HTTP proxy on 127.0.0.1 (random port) in front of an emulator endpoint, injecting the failures
 * no emulator produces: throttling and expired-iterator errors, dropped connections, latency, an endpoint
 * that refuses connections for a while. Kinesis and DynamoDB both speak JSON over POST with
 * `X-Amz-Target`, which is what faults match on. Rules apply first-installed first; each request
 * consumes at most one rule. Point a client at {@link FaultProxy.endpoint} instead of the emulator.
 */
export class FaultProxy {
  /** Every request received, in arrival order. */
  readonly requests: ProxyLogEntry[] = [];
  private readonly rules: MutableRule[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly upstream: URL;
  private readonly agent: HttpAgent;
  private server: Server;
  private listenPort = 0;
  private paused = false;
  private closed = false;
  private resumeTimer: NodeJS.Timeout | undefined;

  private constructor(upstream: string) {
    this.upstream = new URL(upstream);
    this.agent =
      this.upstream.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true })
        : new HttpAgent({ keepAlive: true });
    this.server = this.createServer();
  }

  /** Starts a proxy in front of `upstream` (e.g. `http://127.0.0.1:4567`). */
  static async start(upstream: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstream);
    await proxy.listen(0);
    return proxy;
  }

  /** `http://127.0.0.1:<port>`: give this to the client under test. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.listenPort}`;
  }

  /** The port the proxy listens on (kept across {@link pause}/{@link resume}). */
  get port(): number {
    return this.listenPort;
  }

  /** Installs `fault` for the next `times` matching requests (default 1; `Infinity` for all). */
  inject(match: FaultMatch, fault: Fault, times = 1): FaultRule {
    const rule: MutableRule = {
      match,
      fault,
      hits: 0,
      remaining: times,
      cancel: () => {
        const index = this.rules.indexOf(rule);
        if (index >= 0) this.rules.splice(index, 1);
      },
    };
    this.rules.push(rule);
    return rule;
  }

  /** The next `times` matching requests get `ProvisionedThroughputExceededException` (HTTP 400). */
  throttle(match: FaultMatch = '*', times = 1): FaultRule {
    return this.inject(
      match,
      {
        kind: 'error',
        errorType: 'ProvisionedThroughputExceededException',
        message: 'Rate exceeded (injected)',
      },
      times,
    );
  }

  /** The next `times` GetRecords calls get `ExpiredIteratorException` (HTTP 400). */
  expireIterator(times = 1): FaultRule {
    return this.inject(
      'GetRecords',
      { kind: 'error', errorType: 'ExpiredIteratorException', message: 'Iterator expired (injected)' },
      times,
    );
  }

  /** The next `times` matching requests have their connection destroyed without a response. */
  drop(match: FaultMatch = '*', times = 1): FaultRule {
    return this.inject(match, { kind: 'drop' }, times);
  }

  /** The next `times` matching requests are forwarded after `ms`. */
  delay(match: FaultMatch, ms: number, times = 1): FaultRule {
    return this.inject(match, { kind: 'delay', ms }, times);
  }

  /** Removes every installed fault. */
  clearFaults(): void {
    this.rules.length = 0;
  }

  /**
   * Stops listening and destroys every open connection: new connections are refused (ECONNREFUSED)
   * until {@link resume}, or for `ms` when given. Resolves once paused. A client that reuses a pooled
   * keep-alive connection before noticing it was cut sees a reset (`socket hang up`) instead.
   */
  async pause(ms?: number): Promise<void> {
    this.assertOpen();
    if (!this.paused) {
      this.paused = true;
      await this.closeServer();
    }
    clearTimeout(this.resumeTimer);
    if (ms !== undefined) {
      this.resumeTimer = setTimeout(() => {
        this.resume().catch(() => {});
      }, ms);
      this.resumeTimer.unref();
    }
  }

  /** Listens again on the same port after {@link pause}. */
  async resume(): Promise<void> {
    clearTimeout(this.resumeTimer);
    if (!this.paused || this.closed) return;
    this.server = this.createServer();
    await this.listen(this.listenPort);
    this.paused = false;
  }

  /** Whether the proxy is currently refusing connections. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Stops the proxy for good; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.resumeTimer);
    if (!this.paused) await this.closeServer();
    this.agent.destroy();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('FaultProxy is closed');
  }

  private createServer(): Server {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`fault proxy: ${String(error)}`);
        } else {
          res.destroy();
        }
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listenPort = (this.server.address() as AddressInfo).port;
  }

  private async closeServer(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const targetHeader = req.headers['x-amz-target'];
    const target = Array.isArray(targetHeader) ? targetHeader[0] : targetHeader;
    const request: ProxiedRequest = {
      target,
      operation: target?.slice(target.lastIndexOf('.') + 1),
      method: req.method ?? 'POST',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      json: <T>() => JSON.parse(body.toString('utf8')) as T,
    };
    const rule = this.rules.find((candidate) => candidate.remaining > 0 && matches(candidate.match, request));
    if (rule !== undefined) {
      rule.hits += 1;
      rule.remaining -= 1;
      if (rule.remaining <= 0) rule.cancel();
    }
    this.requests.push({ target, operation: request.operation, fault: rule?.fault.kind });
    const fault = rule?.fault;
    switch (fault?.kind) {
      case undefined:
        return this.forwardStreaming(request, res);
      case 'error':
        return sendError(res, request, fault);
      case 'drop':
        req.socket.destroy();
        return;
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        return this.forwardStreaming(request, res);
      case 'respond': {
        const answer = await fault.respond(request, (override) => this.forwardBuffered(request, override));
        const payload = answer.body ?? '';
        res.writeHead(answer.status, {
          ...answer.headers,
          'content-length': String(Buffer.byteLength(payload)),
        });
        res.end(payload);
        return;
      }
    }
  }

  private upstreamRequest(request: ProxiedRequest, body: Buffer): ReturnType<typeof httpRequest> {
    const headers: Record<string, string | string[] | undefined> = { ...request.headers };
    headers['content-length'] = String(body.length);
    delete headers.connection;
    const send = this.upstream.protocol === 'https:' ? httpsRequest : httpRequest;
    return send({
      protocol: this.upstream.protocol,
      hostname: this.upstream.hostname,
      port: this.upstream.port,
      method: request.method,
      path: request.path,
      headers,
      agent: this.agent,
    });
  }

  /** Forwards and streams the upstream response back (event streams such as SubscribeToShard work). */
  private forwardStreaming(request: ProxiedRequest, res: ServerResponse): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const upstream = this.upstreamRequest(request, request.body);
      upstream.once('error', reject);
      upstream.once('response', (answer) => {
        const headers = { ...answer.headers };
        delete headers.connection;
        delete headers['keep-alive'];
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', reject);
        res.once('close', () => {
          if (!answer.complete) answer.destroy();
          resolve();
        });
      });
      upstream.end(request.body);
    });
  }

  private forwardBuffered(request: ProxiedRequest, override?: string | Buffer) {
    const body = override === undefined ? request.body : Buffer.from(override);
    return new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>(
      (resolve, reject) => {
        const upstream = this.upstreamRequest(request, body);
        upstream.once('error', reject);
        upstream.once('response', (answer) => {
          readBody(answer).then((payload) => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(answer.headers)) {
              if (
                value !== undefined &&
                name !== 'connection' &&
                name !== 'keep-alive' &&
                name !== 'content-length'
              ) {
                headers[name] = Array.isArray(value) ? value.join(', ') : value;
              }
            }
            resolve({ status: answer.statusCode ?? 502, headers, body: payload });
          }, reject);
        });
        upstream.end(body);
      },
    );
  }
}

function matches(match: FaultMatch, request: ProxiedRequest): boolean {
  if (typeof match === 'function') return match(request);
  if (match instanceof RegExp) return request.target !== undefined && match.test(request.target);
  if (match === '*') return true;
  return match.includes('.') ? request.target === match : request.operation === match;
}

function sendError(
  res: ServerResponse,
  request: ProxiedRequest,
  fault: Extract<Fault, { kind: 'error' }>,
): void {
  const contentType = request.headers['content-type'] ?? 'application/x-amz-json-1.1';
  const payload = JSON.stringify({
    __type: fault.errorType,
    message: fault.message ?? `${fault.errorType} (injected)`,
  });
  res.writeHead(fault.status ?? 400, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(payload)),
    'x-amzn-errortype': fault.errorType,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(payload);
}

async function readBody(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
