import { execFileSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { getBackend, sdkEnvironment } from '../src/backend.js';
import { probeDocker } from '../src/docker-probe.js';
import { startBackend, userEndpointsFromEnv } from '../src/select-backend.js';

const backend = getBackend();
console.log(`[backend] ${backend.name}: ${backend.reason}`);

describe('back-end selection', () => {
  it('reads user endpoints per service, falling back to AWS_ENDPOINT_URL, ignoring empty values', () => {
    expect(userEndpointsFromEnv({})).toEqual({});
    expect(userEndpointsFromEnv({ AWS_ENDPOINT_URL: 'http://all:1' })).toEqual({
      kinesis: 'http://all:1',
      dynamodb: 'http://all:1',
    });
    expect(
      userEndpointsFromEnv({ AWS_ENDPOINT_URL: 'http://all:1', AWS_ENDPOINT_URL_KINESIS: 'http://k:2' }),
    ).toEqual({ kinesis: 'http://k:2', dynamodb: 'http://all:1' });
    expect(
      userEndpointsFromEnv({ AWS_ENDPOINT_URL_DYNAMODB: 'http://d:3', AWS_ENDPOINT_URL_KINESIS: ' ' }),
    ).toEqual({
      dynamodb: 'http://d:3',
    });
  });

  it('user endpoints win and start nothing; fake credentials only when the user has none', async () => {
    const env = {
      AWS_ENDPOINT_URL_KINESIS: 'http://k:2',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://d:3',
      AWS_REGION: 'eu-west-1',
    };
    const started = await startBackend(env);
    try {
      expect(started.backend).toMatchObject({
        name: 'user-endpoint',
        region: 'eu-west-1',
        kinesisEndpoint: 'http://k:2',
        kinesisFidelityEndpoint: 'http://k:2',
        dynamodbEndpoint: 'http://d:3',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        processes: [],
        skipReasons: {},
      });
      expect(Object.keys(started.backend.rejected).sort()).toEqual(['embedded', 'localstack']);
    } finally {
      await started.stop();
    }
    const withOwn = await startBackend({ ...env, AWS_PROFILE: 'mine' });
    expect(withOwn.backend.credentials).toBeUndefined();
    await withOwn.stop();
  });

  it('rejects an unknown KINESIS_TS_BACKEND and a forced user-endpoint without endpoints', async () => {
    await expect(startBackend({ KINESIS_TS_BACKEND: 'aws' })).rejects.toThrow(/must be one of/);
    await expect(startBackend({ KINESIS_TS_BACKEND: 'user-endpoint' })).rejects.toThrow(
      /no AWS_ENDPOINT_URL/,
    );
  });

  it('the Docker probe gives up on a DOCKER_HOST that accepts connections and never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    try {
      const started = Date.now();
      const result = await probeDocker(700);
      expect(result).toEqual({
        available: false,
        reason: expect.stringMatching(/within 700 ms|testcontainers/),
      });
      expect(Date.now() - started).toBeLessThan(5_000);
      console.log(`[backend] hanging DOCKER_HOST: ${result.available ? '' : result.reason}`);
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('the chosen back-end reaches the tests', () => {
  it('the SDK variables are set in the worker and inherited by its child processes', () => {
    const expected = sdkEnvironment(backend);
    for (const [name, value] of Object.entries(expected)) expect(process.env[name], name).toBe(value);
    const script = `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(
      Object.keys(expected),
    )}.map((k) => [k, process.env[k]]))))`;
    const fromChild = JSON.parse(execFileSync(process.execPath, ['-e', script]).toString()) as Record<
      string,
      string
    >;
    expect(fromChild).toEqual(expected);
  });

  it('every missing capability says why', () => {
    for (const [capability, reason] of Object.entries(backend.skipReasons)) {
      expect(reason, capability).toMatch(/\S/);
    }
    if (backend.kinesisFidelityEndpoint === undefined)
      expect(backend.skipReasons['kinesis-fidelity']).toBeDefined();
  });
});
