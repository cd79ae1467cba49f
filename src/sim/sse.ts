/**
 * Pacing and faults, shared by every dialect. Dialects turn their answer into frames (SSE text) and name
 * the few fault frames that differ per provider; this module decides which fault strikes, when each frame
 * goes out and how the stream ends, so OpenAI, Anthropic and Gemini get the same latency and fault behaviour.
 *
 * Without ttft or pacing the whole stream is one write and no timer is created: this is the benchmark path.
 */
import type { ServerResponse } from 'node:http';
import type { FaultFace, SimContext } from './context.js';
import type { Scenario } from './scenario.js';

export interface StreamScript {
  /** Sent right after the headers (e.g. the role chunk). */
  head: string;
  /** One frame per content chunk: the unit of pacing and of `afterChunks`. */
  body: string[];
  /** Sent after the last content frame (finish chunk, usage chunk, [DONE]). */
  tail: string;
  /** Delay after `head` before the first body frame. */
  ttftMs: number;
  /** Delay between body frames; 0 = no pacing. */
  intervalMs: number;
  /** Where the stream breaks off instead of reaching `tail`. */
  fault?: StreamFault;
}

export interface StreamFault {
  /** Body frames sent before the fault strikes. */
  after: number;
  /** destroy: drop the socket; stall: keep it open and silent; end: finish the HTTP response. */
  action: 'destroy' | 'stall' | 'end';
  /** A last frame written before the action (a malformed line, an error event). */
  frame?: string;
}

/** The scenario's stream timing: delay before the first content frame and between frames. */
export function pacing(s: Scenario): { ttftMs: number; intervalMs: number } {
  return { ttftMs: s.ttftMs ?? 0, intervalMs: s.tokensPerSecond ? 1000 / s.tokensPerSecond : 0 };
}

/** The dialect-specific last frames of the `malformed` and `error_event` stream faults. */
export interface FaultFrames {
  /** Starts an event whose JSON never ends. */
  malformed: string;
  /** The provider's in-stream error event. */
  errorEvent: string;
}

/**
 * Where a stream fault breaks the stream off, and the last frame it leaves behind. `no_done` is not here:
 * it changes the tail (the dialect drops its terminator), not the break-off point.
 */
export function streamFault(s: Scenario, frames: FaultFrames): StreamFault | undefined {
  const after = s.afterChunks ?? 0;
  switch (s.fault) {
    case 'cut':
      return { after, action: 'destroy' };
    case 'stall':
      return { after, action: 'stall' };
    case 'malformed':
      return { after, action: 'end', frame: frames.malformed };
    case 'error_event':
      return { after, action: 'end', frame: frames.errorEvent };
    default:
      return undefined;
  }
}

/**
 * Faults that strike before any content: error statuses and context_length, and the non-stream variants of
 * the stream faults (no events to break, so: cut = drop the socket, stall = silence, malformed = a broken
 * JSON body, error_event = an error status). Returns true when the response has been dealt with.
 */
export function requestFault(ctx: SimContext, s: Scenario, face: FaultFace, model: string, stream: boolean, promptTokens: number): boolean {
  switch (s.fault) {
    case 'status':
      face.sendError(ctx, face.statusError(s.status ?? 500, model, s.retryAfterSeconds));
      return true;
    case 'context_length':
      face.sendError(ctx, face.contextLengthError(promptTokens));
      return true;
  }
  if (stream) return false;
  switch (s.fault) {
    case 'cut':
      ctx.res.destroy();
      return true;
    case 'stall':
      return true;
    case 'malformed':
      face.sendMalformed(ctx);
      return true;
    case 'error_event':
      face.sendError(ctx, face.statusError(face.errorEventStatus, model, undefined));
      return true;
    default:
      return false;
  }
}

/** Runs `fn` after `ms`, or at once when ms is 0; the timer is dropped if the client goes away first. */
export function later(res: ServerResponse, ms: number | undefined, fn: () => void): void {
  if (!ms || ms <= 0) {
    fn();
    return;
  }
  const timer = setTimeout(() => {
    res.off('close', cancel);
    if (!res.destroyed) fn();
  }, ms);
  const cancel = (): void => clearTimeout(timer);
  res.once('close', cancel);
}

export function writeStream(res: ServerResponse, script: StreamScript): void {
  if (script.ttftMs <= 0 && script.intervalMs <= 0) writeAtOnce(res, script);
  else writePaced(res, script);
}

function limitOf(script: StreamScript): number {
  return script.fault ? Math.min(script.fault.after, script.body.length) : script.body.length;
}

function writeAtOnce(res: ServerResponse, script: StreamScript): void {
  const limit = limitOf(script);
  let out = script.head;
  for (let i = 0; i < limit; i++) out += script.body[i];
  finish(res, script, out);
}

function writePaced(res: ServerResponse, script: StreamScript): void {
  const limit = limitOf(script);
  const start = performance.now() + script.ttftMs;
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const onClose = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  res.once('close', onClose);
  res.write(script.head);

  const step = (): void => {
    timer = undefined;
    if (res.destroyed) return;
    // Send every frame that is due, so a late timer catches up instead of drifting.
    const now = performance.now();
    let out = '';
    while (i < limit && start + i * script.intervalMs <= now + 0.5) out += script.body[i++];
    if (i < limit) {
      if (out) res.write(out);
      timer = setTimeout(step, start + i * script.intervalMs - now);
      return;
    }
    res.off('close', onClose);
    finish(res, script, out);
  };
  timer = setTimeout(step, script.ttftMs);
}

function finish(res: ServerResponse, script: StreamScript, out: string): void {
  const fault = script.fault;
  if (!fault) {
    res.end(out + script.tail);
    return;
  }
  if (fault.frame) out += fault.frame;
  switch (fault.action) {
    case 'end':
      res.end(out);
      return;
    case 'stall':
      // Keep the response open; the client's timeout (or the simulator's close) ends it.
      if (out) res.write(out);
      return;
    case 'destroy':
      // Let the bytes reach the kernel first so the client sees a truncated stream, not an empty one.
      if (out) res.write(out, () => res.destroy());
      else res.destroy();
      return;
  }
}
