// Child-process half of docker-probe.ts: asks testcontainers for a container runtime and prints one JSON
// line with the outcome. Run in a child so a runtime that never answers can be killed with its sockets.
const firstLine = (error) => String(error instanceof Error ? error.message : error).split('\n')[0];
let result;
try {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const { host, serverVersion } = client.info.containerRuntime;
  result = { available: true, runtime: `${host} (server ${serverVersion})` };
} catch (error) {
  result = { available: false, reason: `testcontainers: ${firstLine(error)}` };
}
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
