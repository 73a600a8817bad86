import { randomBytes } from 'node:crypto';

/**
 * A name no other test (or earlier run against the same endpoint) uses: `<prefix>-<time>-<random>`,
 * made of characters valid for stream and table names.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
