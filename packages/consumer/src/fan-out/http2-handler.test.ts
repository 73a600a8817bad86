import { once } from 'node:events';
import { createServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it } from 'vitest';
import { createFanOutHttpHandler, PooledHttp2Handler, resolveFanOutHttp2Settings } from './http2-handler.js';

let server: Http2Server | null = null;
const sessions: ServerHttp2Session[] = [];

async function startServer(): Promise<number> {
  server = createServer();
  server.on('session', (session) => sessions.push(session));
  // An endless event stream: one small chunk now, then nothing until the client goes away.
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream' });
    stream.write('event');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

type Request = Parameters<NodeHttp2Handler['handle']>[0];

function request(port: number): Request {
  const fields = {
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    method: 'POST',
    path: '/',
    query: {},
    headers: {},
    body: '{}',
  };
  return fields as unknown as Request;
}

describe('fan-out HTTP handler', () => {
  it('defaults to pooled HTTP/2 with bounded streams, windows and session memory', () => {
    expect(createFanOutHttpHandler()).toBeInstanceOf(PooledHttp2Handler);
    expect(createFanOutHttpHandler({ protocol: 'http1' })).toBeInstanceOf(NodeHttpHandler);
    expect(resolveFanOutHttp2Settings()).toEqual({
      maxStreamsPerSession: 32,
      initialWindowSize: 512 * 1024,
      maxSessionMemoryMiB: 24,
      sessionIdleTimeoutMs: 60_000,
    });
    expect(
      resolveFanOutHttp2Settings({ maxStreamsPerSession: 100, initialWindowSize: 65_535 })
        .maxSessionMemoryMiB,
    ).toBe(15);
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    expect(() => createFanOutHttpHandler({ protocol: 'http3' as never })).toThrow(/protocol/);
    expect(() => resolveFanOutHttp2Settings({ maxStreamsPerSession: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => createFanOutHttpHandler({ protocol: 'http1', maxSockets: 1.5 })).toThrow(/maxSockets/);
  });

  it('multiplexes event streams over one pooled session (the SDK default isolates each)', async () => {
    const port = await startServer();
    const handler = createFanOutHttpHandler({ maxStreamsPerSession: 2 }) as NodeHttp2Handler;
    const abort = new AbortController();
    try {
      const responses = [];
      for (let i = 0; i < 3; i++) {
        responses.push(
          await handler.handle(request(port), { abortSignal: abort.signal, isEventStream: true } as never),
        );
      }
      for (const { response } of responses) expect(response.statusCode).toBe(200);
      // Three open event streams, two per session: two sessions, not three.
      expect(sessions).toHaveLength(2);
    } finally {
      abort.abort();
      handler.destroy();
    }

    const isolating = new NodeHttp2Handler({ disableConcurrentStreams: false });
    const before = sessions.length;
    const abort2 = new AbortController();
    try {
      for (let i = 0; i < 2; i++)
        await isolating.handle(request(port), { abortSignal: abort2.signal, isEventStream: true } as never);
      expect(sessions.length - before).toBe(2);
    } finally {
      abort2.abort();
      isolating.destroy();
    }
  });
});
