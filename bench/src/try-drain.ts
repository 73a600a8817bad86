import { consumerDrain } from './consumer-drain.js';
import { printResult } from './lib/result.js';
printResult(await consumerDrain({ records: Number(process.argv[2] ?? 40000), recordSize: 100, shards: 4 }));
