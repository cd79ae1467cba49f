/** The simulator's pure parts: answer planning conventions, schema samples and scenario layering. */
import { describe, expect, it } from 'vitest';
import { planAnswer, type ChatInput } from '../../src/sim/answer.js';
import { sampleFromSchema } from '../../src/sim/schema-sample.js';
import { applyFaultRate, extractDirective, FaultDice, mergeScenarios, parseScenario, ScenarioError } from '../../src/sim/scenario.js';

const input = (over: Partial<ChatInput> = {}): ChatInput => ({
  model: 'm',
  lastUserText: 'hello',
  tools: [],
  toolChoice: 'auto',
  parallelToolCalls: true,
  stop: [],
  promptChars: 5,
  messageCount: 1,
  ...over,
});

describe('planAnswer', () => {
  it('counts tokens by the documented convention', () => {
    const plan = planAnswer(input({ promptChars: 9, messageCount: 2 }), { reasoningTokens: 3, cachedTokens: 100 });
    expect(plan.usage).toEqual({ promptTokens: Math.ceil(9 / 4) + 8, completionTokens: 16 + 3, cachedTokens: 11, cacheWriteTokens: 0, reasoningTokens: 3 });
    expect(plan.content.every((t) => / $/.test(t))).toBe(true);
  });

  it('caps cache reads at the prompt and cache writes at what the reads leave', () => {
    const prompt = Math.ceil(40 / 4) + 4; // 14
    expect(planAnswer(input({ promptChars: 40 }), { cachedTokens: 10, cacheWriteTokens: 10 }).usage).toMatchObject({ promptTokens: prompt, cachedTokens: 10, cacheWriteTokens: 4 });
    expect(planAnswer(input({ promptChars: 40 }), { cacheWriteTokens: 6 }).usage).toMatchObject({ cachedTokens: 0, cacheWriteTokens: 6 });
  });

  it('reasons when the request or the model name asks, unless the request turns it off', () => {
    expect(planAnswer(input({ reasoning: true }), {}).reasoning).toHaveLength(8);
    expect(planAnswer(input({ model: 'claude-thinking' }), {}).reasoning).toHaveLength(8);
    expect(planAnswer(input({ model: 'claude-thinking', reasoning: false }), {}).reasoning).toHaveLength(0);
    expect(planAnswer(input({ reasoning: false }), { reasoningTokens: 2 }).reasoning).toHaveLength(2);
  });

  it('defaults to min(max_tokens, 16) tokens with finish stop, and cuts a longer outputTokens with length', () => {
    expect(planAnswer(input({ maxTokens: 5 }), {})).toMatchObject({ finishReason: 'stop' });
    expect(planAnswer(input({ maxTokens: 5 }), {}).content).toHaveLength(5);
    const long = planAnswer(input({ maxTokens: 5 }), { outputTokens: 9 });
    expect(long.content).toHaveLength(5);
    expect(long.finishReason).toBe('length');
    expect(planAnswer(input(), { outputTokens: 40 }).content).toHaveLength(40);
  });

  it('ends before the first stop sequence, mid-token if need be', () => {
    const full = planAnswer(input(), {}).content.join('');
    const stopAt = full.indexOf(' ', 3) + 2; // a stop string starting inside the second word
    const stop = full.slice(stopAt, stopAt + 3);
    const plan = planAnswer(input({ stop: ['zzz', stop] }), {});
    expect(plan.content.join('')).toBe(full.slice(0, full.indexOf(stop)));
    expect(plan.finishReason).toBe('stop');
    expect(plan.stopSequence).toBe(stop);
    expect(planAnswer(input(), {}).stopSequence).toBeUndefined();
  });

  it('calls tools unless tool_choice is none or the last message is a tool result', () => {
    const tools = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    expect(planAnswer(input({ tools }), {}).toolCalls.map((c) => c.name)).toEqual(['a', 'b']);
    expect(planAnswer(input({ tools, parallelToolCalls: false }), {}).toolCalls.map((c) => c.name)).toEqual(['a']);
    expect(planAnswer(input({ tools }), { toolCalls: 3 }).toolCalls.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(planAnswer(input({ tools, toolChoice: { name: 'c' } }), {}).toolCalls.map((c) => c.name)).toEqual(['c']);
    expect(planAnswer(input({ tools, toolChoice: 'none' }), {}).toolCalls).toEqual([]);
    const after = planAnswer(input({ tools, toolResultText: '42 degrees' }), {});
    expect(after.toolCalls).toEqual([]);
    expect(after.content.join('')).toContain('42 degrees');
    expect(() => planAnswer(input({ tools, toolChoice: { name: 'zzz' } }), {})).toThrow(/zzz/);
  });

  it('splits tool arguments into 4–8 character fragments and counts ceil(chars/4) tokens', () => {
    const parameters = { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' } }, required: ['query', 'limit'] };
    const plan = planAnswer(input({ tools: [{ name: 'search', parameters }] }), {});
    const call = plan.toolCalls[0]!;
    expect(call.fragments.join('')).toBe(call.arguments);
    expect(call.fragments.slice(0, -1).every((f) => f.length >= 4 && f.length <= 8)).toBe(true);
    expect(plan.usage.completionTokens).toBe(Math.ceil(call.arguments.length / 4));
  });
});

describe('sampleFromSchema', () => {
  it('fills required properties only, recursively, with the documented values', () => {
    const schema = {
      type: 'object',
      properties: {
        s: { type: 'string' },
        n: { type: 'number' },
        i: { type: ['integer', 'null'] },
        b: { type: 'boolean' },
        e: { enum: ['x', 'y'] },
        a: { type: 'array', items: { type: 'string' } },
        o: { type: 'object', properties: { deep: { $ref: '#/$defs/D' } }, required: ['deep'] },
        u: { anyOf: [{ type: 'null' }, { type: 'string' }] },
        optional: { type: 'string' },
      },
      required: ['s', 'n', 'i', 'b', 'e', 'a', 'o', 'u'],
      $defs: { D: { type: 'boolean' } },
    };
    expect(sampleFromSchema(schema)).toEqual({ s: 'sim', n: 1, i: 1, b: true, e: 'x', a: [], o: { deep: true }, u: 'sim' });
    expect(sampleFromSchema(undefined)).toEqual({});
  });
});

describe('scenarios', () => {
  it('validates fields and rejects unknown ones', () => {
    expect(parseScenario({ latencyMs: 5, fault: 'cut', afterChunks: 2 }, 't')).toEqual({ latencyMs: 5, fault: 'cut', afterChunks: 2 });
    expect(() => parseScenario({ fault: 'boom' }, 't')).toThrow(ScenarioError);
    expect(() => parseScenario({ faultRate: 2 }, 't')).toThrow(ScenarioError);
    expect(() => parseScenario({ outputTokens: 1.5 }, 't')).toThrow(ScenarioError);
    expect(() => parseScenario({ latncy: 1 }, 't')).toThrow(/latncy/);
  });

  it('finds a #sim{} directive anywhere in the text, braces inside strings included', () => {
    expect(extractDirective('plain text')).toBeUndefined();
    expect(extractDirective('before #sim{"replay":"a/b}c","latencyMs":1} after')).toEqual({ replay: 'a/b}c', latencyMs: 1 });
    expect(() => extractDirective('#sim{"latencyMs":')).toThrow(ScenarioError);
    expect(() => extractDirective('#sim{nope}')).toThrow(ScenarioError);
  });

  it('merges layers with later ones winning', () => {
    expect(mergeScenarios({ latencyMs: 1, outputTokens: 2 }, undefined, { latencyMs: 3 })).toEqual({ latencyMs: 3, outputTokens: 2 });
  });

  it('rolls faultRate from a per-profile sequence that a reset restarts', () => {
    const dice = new FaultDice();
    const roll = (profile: string) => Array.from({ length: 20 }, () => applyFaultRate({ fault: 'cut', faultRate: 0.5 }, dice, profile).fault);
    const a = roll('p');
    expect(a).toContain('cut');
    expect(a).toContain('none');
    dice.reset('p');
    expect(roll('p')).toEqual(a);
    expect(roll('q')).not.toEqual(a);
    expect(applyFaultRate({ fault: 'cut' }, dice, 'p').fault).toBe('cut');
    expect(applyFaultRate({ fault: 'cut', faultRate: 0 }, dice, 'p').fault).toBe('none');
  });
});
