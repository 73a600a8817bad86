import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Output } from './output.js';

class SlowSink extends EventEmitter {
  readonly chunks: string[] = [];
  full = false;
  write(text: string): boolean {
    this.chunks.push(text);
    return !this.full;
  }
}

describe('Output', () => {
  it('waits for drain only after a write found the buffer full', async () => {
    const sink = new SlowSink();
    const out = new Output({ stdout: sink, stderr: sink, env: {}, json: false, noColor: false });
    out.write('a');
    await out.drain();
    sink.full = true;
    out.write('b');
    let drained = false;
    const waiting = out.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    sink.emit('drain');
    await waiting;
    expect(drained).toBe(true);
    expect(sink.chunks).toEqual(['a', 'b']);
  });

  it('writes tables without colour on a pipe and with colour on a terminal', () => {
    let text = '';
    const pipe = new Output({
      stdout: { write: (t: string) => (text += t), isTTY: false },
      stderr: { write: () => true },
      env: {},
      json: false,
      noColor: false,
    });
    pipe.table(['A'], [['x']]);
    expect(text).toBe('A\nx\n');
    text = '';
    const tty = new Output({
      stdout: { write: (t: string) => (text += t), isTTY: true },
      stderr: { write: () => true },
      env: {},
      json: false,
      noColor: false,
    });
    tty.table(['A'], [['x']]);
    expect(text).toBe('\u001b[1mA\u001b[22m\nx\n');
  });
});
