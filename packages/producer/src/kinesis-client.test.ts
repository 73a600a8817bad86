import { createServer, type Socket } from 'node:net';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { createKinesisClient } from './kinesis-client.js';

describe('createKinesisClient', () => {
  it('fails a request to an endpoint that accepts connections and never answers after requestTimeout', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = createKinesisClient(
      {
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      },
      { connectionTimeout: 500, requestTimeout: 800 },
    );
    const start = Date.now();
    const error = await client
      .send(new DescribeStreamSummaryCommand({ StreamName: 's' }))
      .catch((e: unknown) => e as Error);
    const elapsed = Date.now() - start;
    client.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(sockets.size).toBeGreaterThan(0);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(5000);
  });
});
