import { describe, expect, it } from 'vitest';
import { ResponseTap } from '../../src/ledger/tap.js';

describe('ResponseTap: what a response delivered, for the ledger', () => {
  it('keeps the text, reasoning and tool calls of the stream events it is told about, in order', () => {
    const tap = new ResponseTap();
    tap.event({ type: 'start', id: 'c1' });
    tap.event({ type: 'reasoning-delta', text: 'think ' });
    tap.event({ type: 'reasoning-delta', text: 'more' });
    tap.event({ type: 'text-delta', text: 'Hello, ' });
    tap.event({ type: 'text-delta', text: 'world' });
    tap.event({ type: 'tool-call-delta', index: 0, id: 'call_1', name: 'get_weather', argumentsDelta: '{"city":' });
    tap.event({ type: 'tool-call-delta', index: 0, argumentsDelta: '"Paris"}' });
    tap.event({ type: 'finish', reason: 'stop' });
    expect(tap.delivered()).toEqual({ text: 'Hello, world', reasoning: 'think more', toolArguments: 'get_weather{"city":"Paris"}' });
  });

  it('reads a plain answer from its JSON body, in either dialect, and is over with it', () => {
    const openai = new ResponseTap();
    openai.json({ choices: [{ message: { content: 'hi', reasoning_content: 'r', tool_calls: [{ function: { name: 'f', arguments: '{}' } }] } }] });
    expect(openai.ended).toBe(true);
    expect(openai.delivered()).toEqual({ text: 'hi', reasoning: 'r', toolArguments: 'f{}' });
    const anthropic = new ResponseTap();
    anthropic.json({ content: [{ type: 'thinking', thinking: 't' }, { type: 'text', text: 'yes' }, { type: 'tool_use', name: 'g', input: { a: 1 } }] });
    expect(anthropic.delivered()).toEqual({ text: 'yes', reasoning: 't', toolArguments: 'g{"a":1}' });
  });

  it('delivered nothing when the stream sent no event', () => {
    expect(new ResponseTap().delivered()).toEqual({ text: '', reasoning: '', toolArguments: '' });
  });

  it('wakes whoever waits for the end, once', async () => {
    const tap = new ResponseTap();
    let woke = 0;
    const waiting = tap.whenEnded().then(() => woke++);
    tap.end();
    tap.end();
    await waiting;
    await tap.whenEnded();
    expect(woke).toBe(1);
    expect(tap.ended).toBe(true);
  });
});
