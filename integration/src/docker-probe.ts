import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The outcome of {@link probeDocker}. */
export type DockerProbeResult = { available: true; runtime: string } | { available: false; reason: string };

const CHILD = fileURLToPath(new URL('./docker-probe-child.mjs', import.meta.url));

/**
 * Asks testcontainers, in a child process, whether a container runtime answers; gives up after
 * `timeoutMs` and kills the child. With no Docker testcontainers rejects in milliseconds, but a
 * `DOCKER_HOST` that accepts connections and never answers would make it wait forever, and its socket
 * would keep this process from exiting: in a child it is killed with it. An import failure
 * (testcontainers 12 on Node 20) is reported as "not available" too.
 */
export async function probeDocker(timeoutMs = 3_000): Promise<DockerProbeResult> {
  return new Promise<DockerProbeResult>((resolve) => {
    const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ available: false, reason: `docker probe did not run: ${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ available: false, reason: `no container runtime answered within ${timeoutMs} ms` });
        return;
      }
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as DockerProbeResult);
      } catch {
        const detail = stderr.trim().split('\n').pop() ?? '';
        resolve({
          available: false,
          reason: `docker probe failed (code ${code}, signal ${signal}): ${detail}`,
        });
      }
    });
  });
}
