import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ClientSignal } from '../../src/server/client-signal.js';

function response(finished: boolean): ServerResponse {
  return Object.assign(new EventEmitter(), { writableFinished: finished }) as unknown as ServerResponse;
}

describe('ClientSignal', () => {
  it('fires once, for each listener still attached, when the connection closes before the response finished', () => {
    const res = response(false);
    const signal = new ClientSignal(res);
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', b);
    signal.removeEventListener('abort', b);
    expect(signal.aborted).toBe(false);
    res.emit('close');
    res.emit('close');
    expect(signal.aborted).toBe(true);
    expect(calls).toEqual(['a']);
    signal.addEventListener('abort', a);
    expect(calls).toEqual(['a']);
  });

  it('does not fire when the response finished before the connection closed', () => {
    const res = response(true);
    const signal = new ClientSignal(res);
    let fired = false;
    signal.addEventListener('abort', () => (fired = true));
    res.emit('close');
    expect(signal.aborted).toBe(false);
    expect(fired).toBe(false);
  });
});
