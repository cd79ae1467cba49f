import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureFor } from '../../src/sim/random.js';
import { startStack, type Stack } from '../support/stack.js';
import { aiSdkAnthropicDriver, aiSdkOpenAIDriver } from './support/ai-sdk.js';
import { anthropicDriver } from './support/anthropic-sdk.js';
import { words, type ClientDriver } from './support/driver.js';
import {
  clearUpstream,
  EXPECTED_ARGS,
  expectSimReasoning,
  expectToolResultAnswer,
  expectToolRoundTrip,
  HOSTS,
  hostToolCalls,
  lastUpstream,
  PROVIDERS_YAML,
  TOOL_RESULTS,
  upstreamReasoning,
  type Host,
} from './support/hosts.js';
import { langchainAnthropicDriver, langchainOpenAIDriver } from './support/langchain.js';
import { openAIDriver } from './support/openai-sdk.js';

/**
 * Every client library × every host dialect: the real SDKs, unchanged but for their base URL, through the gateway
 * to the simulator speaking OpenAI, Anthropic or Gemini.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ providersYaml: PROVIDERS_YAML });
});
afterAll(async () => {
  await stack?.close();
});

/**
 * KNOWN GAP (see reasoning-state.test.ts): a Messages stream's message_start says input_tokens 0 and ChatAnthropic
 * takes the input count of a stream from message_start alone.
 */
const seesStreamedInputTokens = (client: ClientDriver): boolean => client.name !== 'LangChain ChatAnthropic';

const CLIENTS: [string, (url: string) => ClientDriver][] = [
  ['openai SDK', openAIDriver],
  ['anthropic SDK', anthropicDriver],
  ['AI SDK openai-compatible', aiSdkOpenAIDriver],
  ['AI SDK anthropic', aiSdkAnthropicDriver],
  ['LangChain ChatOpenAI', langchainOpenAIDriver],
  ['LangChain ChatAnthropic', langchainAnthropicDriver],
];

describe.each(HOSTS)('$dialect host', (host: Host) => {
  describe.each(CLIENTS)('%s', (_name, make) => {
    let client: ClientDriver;
    beforeAll(() => {
      client = make(stack.url);
    });
    const prompt = (what: string): string => `${what} (${client.name} via ${host.dialect})`;

    it('answers plain text with its stop reason and usage', async () => {
      const turn = await client.text(host.model, prompt('say something'));
      expect(words(turn.text)).toBe(16);
      expect(turn.toolCalls).toEqual([]);
      expect(turn.finish).toBe(client.finish.stop);
      expect(turn.usage?.input).toBeGreaterThan(0);
      expect(turn.usage?.output).toBe(16);
    });

    it('streams two parallel tool calls, then sends their results back', async () => {
      const ask = prompt('weather and time please');
      const expected = await hostToolCalls(stack, host, host.upstreamModel, ask);
      expect(expected.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
      clearUpstream(stack);

      const turn = await client.streamTools(host.model, ask);
      expect(turn.toolCalls).toEqual(expected);
      expect(turn.toolCalls.map((c) => c.args)).toEqual([EXPECTED_ARGS.get_weather, EXPECTED_ARGS.get_time]);
      expect(turn.finish).toBe(client.finish.tools);
      if (seesStreamedInputTokens(client)) expect(turn.usage?.input).toBeGreaterThan(0);
      expect(turn.usage?.output).toBeGreaterThan(0);

      const next = await turn.continueWith(TOOL_RESULTS);
      expectToolRoundTrip(host, lastUpstream(stack, host), turn.toolCalls);
      expectToolResultAnswer(next.text);
      expect(next.toolCalls).toEqual([]);
      expect(next.finish).toBe(client.finish.stop);
      expect(next.usage?.output).toBeGreaterThan(0);
    });

    it('shows the reasoning of a reasoning model, streamed and not', async () => {
      const plain = await client.text(host.thinkingModel, prompt('think first'));
      expectSimReasoning(plain.reasoning);
      expect(words(plain.text)).toBe(16);
      expect(plain.finish).toBe(client.finish.stop);
      const streamed = await client.streamText(host.thinkingModel, prompt('think first'));
      expect(streamed.reasoning).toBe(plain.reasoning);
      expect(streamed.text).toBe(plain.text);
      expect(streamed.usage?.output).toBe(plain.usage?.output);
    });

    it('hands the host its signed reasoning back with the tool results', async () => {
      const ask = prompt('think, then call both tools');
      const expected = await hostToolCalls(stack, host, host.upstreamThinkingModel, ask);
      clearUpstream(stack);
      const turn = await client.streamTools(host.thinkingModel, ask);
      expect(turn.toolCalls).toEqual(expected);
      expect(turn.finish).toBe(client.finish.tools);
      expectSimReasoning(turn.reasoning);

      const next = await turn.continueWith(TOOL_RESULTS);
      const upstream = lastUpstream(stack, host);
      expectToolRoundTrip(host, upstream, turn.toolCalls);
      expectToolResultAnswer(next.text);
      expect(next.finish).toBe(client.finish.stop);

      const state = upstreamReasoning(host, upstream);
      if (host.dialect === 'anthropic') {
        // Anthropic verifies each thinking block against its signature: text and signature must come back intact.
        const signed = { thinking: turn.reasoning!, signature: signatureFor('anthropic-thinking', turn.reasoning!) };
        expect(state.thinking).toEqual(client.carriesReasoningState ? [signed] : []);
      } else if (host.dialect === 'gemini') {
        // Gemini wants the thought signature back on the function call it came with.
        const signature = signatureFor('gemini-thought', turn.reasoning!);
        expect(state.thoughtSignatures).toEqual(client.carriesReasoningState ? { [turn.toolCalls[0]!.id]: signature } : {});
      }
    });
  });
});
