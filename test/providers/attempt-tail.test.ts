import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptControl, FINISH_TAIL_MS } from '../../src/providers/shared/attempt.js';

describe('AttemptControl: the tail of a stream whose host dawdles after its last event', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const open = () => new AttemptControl(new AbortController().signal, 60_000, undefined);

  it('gives the body FINISH_TAIL_MS after the finish reason, once, however many chunks follow', () => {
    const control = open();
    const decoder = { complete: false, sawFinish: true };
    control.trackStreamEnd(decoder);
    vi.advanceTimersByTime(FINISH_TAIL_MS / 2);
    control.trackStreamEnd(decoder); // not re-armed: the first deadline stands
    vi.advanceTimersByTime(FINISH_TAIL_MS / 2 - 1);
    expect(control.reason).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(control.reason).toBe('tail');
    control.dispose();
  });

  it('cuts to an eighth of that once the stream is complete, by the decoder or by an end marker', () => {
    const byDecoder = open();
    byDecoder.trackStreamEnd({ complete: false, sawFinish: true });
    byDecoder.trackStreamEnd({ complete: true, sawFinish: true });
    vi.advanceTimersByTime(FINISH_TAIL_MS / 8);
    expect(byDecoder.reason).toBe('tail');
    const byMarker = open();
    byMarker.streamComplete();
    byMarker.trackStreamEnd({ complete: true, sawFinish: true });
    vi.advanceTimersByTime(FINISH_TAIL_MS / 8 - 1);
    expect(byMarker.reason).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(byMarker.reason).toBe('tail');
    byDecoder.dispose();
    byMarker.dispose();
  });

  it('arms nothing before the finish reason', () => {
    const control = open();
    control.trackStreamEnd({ complete: false, sawFinish: false });
    vi.advanceTimersByTime(FINISH_TAIL_MS * 4);
    expect(control.reason).toBeUndefined();
    control.dispose();
  });
});
