/**
 * Runs kinesalite and dynalite in a process of their own, so that the benchmark process measures
 * only its own CPU and memory. Prints one JSON line `{ kinesis, dynamodb, pid }` when ready; exits
 * when its stdin closes (the benchmark ended or died).
 */
import { startDynalite, startKinesalite } from '@kinesis-ts/integration';

const kinesalite = await startKinesalite();
const dynalite = await startDynalite();
process.stdout.write(
  `${JSON.stringify({ kinesis: kinesalite.endpoint, dynamodb: dynalite.endpoint, pid: process.pid })}\n`,
);
const stop = async (): Promise<void> => {
  await Promise.all([kinesalite.stop(), dynalite.stop()]);
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
