/**
 * Edit distance and "did you mean" suggestions for misspelled option keys.
 */

/**
 * Optimal-string-alignment distance between `a` and `b`: insertions, deletions, substitutions and
 * swaps of two neighbouring characters each cost 1 (`intialPosition` → `initialPosition` is 1).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rows: the one before the previous (for swaps), the previous, the current.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (before[j - 2] as number) + 1);
      }
      current.push(value);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The candidate nearest to `name` (case-insensitive edit distance), or `undefined` when none is
 * close: at most a third of the longer name's length, and at least 2, edits away. A candidate that
 * contains `name`, or is contained in it, also counts as close (`bufferTime` for `bufferTimeMs`).
 * Ties go to the earlier candidate.
 */
export function nearestKey(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    let distance = editDistance(lower, other);
    const limit = Math.max(2, Math.floor(Math.max(lower.length, other.length) / 3));
    const contained =
      lower.length >= 3 && other.length >= 3 && (other.includes(lower) || lower.includes(other));
    if (distance > limit && !contained) continue;
    if (contained) distance = Math.min(distance, limit);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
