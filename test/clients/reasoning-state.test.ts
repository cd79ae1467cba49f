import Anthropic from '@anthropic-ai/sdk';
import { ChatAnthropic } from '@langchain/anthropic';
import { HumanMessage, type AIMessageChunk } from '@langchain/core/messages';
import { concat } from '@langchain/core/utils/stream';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureFor } from '../../src/sim/random.js';
import { startStack, type Stack } from '../support/stack.js';
import { CLOCK, HOSTS, lastUpstream, PROVIDERS_YAML, upstreamReasoning, WEATHER, type Host } from './support/hosts.js';
import { openAIDriver, type VendorReasoning } from './support/openai-sdk.js';

/**
 * How signed reasoning survives a tool loop through the OpenAI surface (OpenRouter's `reasoning_details`), the
 * request-level reasoning switches, and the gaps found while building the client matrix (`it.fails`: each turns
 * red once the gap is closed, so the marker can go).
 */
let stack: Stack;
let openai: OpenAI;

beforeAll(async () => {
  // A provider with DeepSeek's id gets DeepSeek's quirks, whatever its base URL.
  const deepseek = `  deepseek:\n    type: openai-compatible\n    baseURL: "{{SIM}}/v1"\n    apiKeyEnv: SIM_API_KEY\n    models: { t/ds: deepseek-reasoner }\n`;
  stack = await startStack({ providersYaml: PROVIDERS_YAML + deepseek });
  openai = openAIDriver(stack.url).client;
});
afterAll(async () => {
  await stack?.close();
});

const [OAI, ANT, GEM] = HOSTS as [Host, Host, Host];
type Params = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Message = OpenAI.Chat.Completions.ChatCompletionMessage & VendorReasoning;
const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [WEATHER, CLOCK].map((t) => ({
  type: 'function',
  function: { name: t.name, parameters: t.parameters as unknown as Record<string, unknown> },
}));

/** The second turn: the assistant message as given, then a result for each of its calls. */
function secondTurn(prompt: string, assistant: Params, calls: OpenAI.Chat.Completions.ChatCompletionMessageToolCall[]): Params[] {
  return [{ role: 'user', content: prompt }, assistant, ...calls.map((c): Params => ({ role: 'tool', tool_call_id: c.id, content: 'done' }))];
}

/** Anthropic checks every thinking block against its signature; the simulator's signature is a hash of the text. */
function expectVerifiableThinking(host: Host): void {
  const { thinking } = upstreamReasoning(host, lastUpstream(stack, host));
  expect(thinking).toHaveLength(1);
  expect(thinking[0]!.signature).toBe(signatureFor('anthropic-thinking', thinking[0]!.thinking));
  expect(thinking[0]!.thinking.trim().split(/\s+/)).toHaveLength(8);
}

describe('OpenAI SDK, reasoning_details round trips', () => {
  it('returns signed thinking as reasoning_details without streaming, and the Anthropic host gets it back', async () => {
    const data = await openai.chat.completions.create({ model: ANT.thinkingModel, tools, messages: [{ role: 'user', content: 'plan it' }] });
    const message = data.choices[0]!.message as Message;
    expect(message.reasoning_details).toEqual([
      { type: 'reasoning.text', text: message.reasoning_content, signature: signatureFor('anthropic-thinking', message.reasoning_content!), format: 'anthropic-claude-v1', index: 0 },
    ]);
    stack.sim.clearRequests();
    // OpenRouter's advice: send the assistant message back as it came, reasoning_details included.
    await openai.chat.completions.create({ model: ANT.thinkingModel, tools, messages: secondTurn('plan it', message as Params, message.tool_calls!) });
    expectVerifiableThinking(ANT);
  });

  it('keeps request-level thinking on over a tool loop only when reasoning_details come back', async () => {
    const first = await openai.chat.completions.create({ model: ANT.model, reasoning_effort: 'low', tools, messages: [{ role: 'user', content: 'effort' }] });
    expect((lastUpstream(stack, ANT).body as { thinking: unknown }).thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    const message = first.choices[0]!.message as Message;
    expect(message.reasoning_details).toHaveLength(1);

    const withDetails = await openai.chat.completions
      .create({ model: ANT.model, reasoning_effort: 'low', tools, messages: secondTurn('effort', message as Params, message.tool_calls!) })
      .withResponse();
    expect(withDetails.response.headers.get('x-switchboard-warnings')).toBeNull();
    expect((lastUpstream(stack, ANT).body as { thinking: unknown }).thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expectVerifiableThinking(ANT);

    // Without them Anthropic would refuse thinking on this turn: the gateway turns it off and says so.
    const bare: Params = { role: 'assistant', content: null, tool_calls: message.tool_calls! };
    const without = await openai.chat.completions
      .create({ model: ANT.model, reasoning_effort: 'low', tools, messages: secondTurn('effort', bare, message.tool_calls!) })
      .withResponse();
    expect(JSON.parse(without.response.headers.get('x-switchboard-warnings')!)).toEqual([expect.stringMatching(/^reasoning was turned off: the last assistant tool call came back without its Anthropic thinking block/)]);
    expect((lastUpstream(stack, ANT).body as { thinking?: unknown }).thinking).toBeUndefined();
  });

  it('returns a Gemini thought signature tied to its call, which reaches that functionCall again', async () => {
    const data = await openai.chat.completions.create({ model: GEM.thinkingModel, tools, messages: [{ role: 'user', content: 'plan it' }] });
    const message = data.choices[0]!.message as Message;
    const first = message.tool_calls![0]!;
    expect(message.reasoning_details).toEqual([
      { type: 'reasoning.encrypted', data: signatureFor('gemini-thought', message.reasoning_content!), format: 'google-gemini-v1', id: first.id, index: 0 },
    ]);
    stack.sim.clearRequests();
    await openai.chat.completions.create({ model: GEM.thinkingModel, tools, messages: secondTurn('plan it', message as Params, message.tool_calls!) });
    expect(upstreamReasoning(GEM, lastUpstream(stack, GEM)).thoughtSignatures).toEqual({ [first.id]: message.reasoning_details![0]!.data });
  });

  // KNOWN GAP: in a stream the thinking text goes out only as reasoning_content deltas and reasoning_details
  // carry the signature alone, so a client that hands back reasoning_details only (OpenRouter's advice) returns
  // an empty thinking text with the signature.
  it('lets a streaming client that keeps only reasoning_details hand back verifiable thinking', async () => {
    const details: Record<string, unknown>[] = [];
    const runner = openai.chat.completions.stream({ model: ANT.thinkingModel, tools, messages: [{ role: 'user', content: 'details only' }] });
    runner.on('chunk', (chunk) => details.push(...((chunk.choices[0]?.delta as VendorReasoning | undefined)?.reasoning_details ?? [])));
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!;
    const assistant = { role: 'assistant', content: null, tool_calls: calls, reasoning_details: details } as Params;
    await openai.chat.completions.create({ model: ANT.thinkingModel, tools, messages: secondTurn('details only', assistant, calls) });
    expectVerifiableThinking(ANT);
  });

  // KNOWN GAP: the SDK's stream helper keeps the last delta of fields it does not model, so its final message holds
  // only the last reasoning_content token beside the whole thinking block's signature.
  it("lets the SDK stream helper's final message go back as it is", async () => {
    const final = await openai.chat.completions.stream({ model: ANT.thinkingModel, tools, messages: [{ role: 'user', content: 'helper' }] }).finalChatCompletion();
    const message = final.choices[0]!.message;
    await openai.chat.completions.create({ model: ANT.thinkingModel, tools, messages: secondTurn('helper', message as Params, message.tool_calls!) });
    expectVerifiableThinking(ANT);
  });
});

describe('reasoning_content over a tool loop', () => {
  // KNOWN GAP: DeepSeek's thinking mode requires the reasoning_content of every assistant turn that called tools
  // in all later requests (api-docs.deepseek.com, Thinking Mode: "the API will return a 400 error" otherwise);
  // the OpenAI-compatible adapter never sends Message.reasoning upstream.
  it('hands reasoning_content back to DeepSeek with the tool calls it came with', async () => {
    const data = await openai.chat.completions.create({ model: 't/ds', tools, messages: [{ role: 'user', content: 'loop' }] });
    const message = data.choices[0]!.message as Message;
    expect(message.reasoning_content).toBeTruthy();
    stack.sim.clearRequests();
    await openai.chat.completions.create({ model: 't/ds', tools, messages: secondTurn('loop', message as Params, message.tool_calls!) });
    const sent = lastUpstream(stack, OAI).body as { messages: Record<string, unknown>[] };
    expect(sent.messages[1]).toMatchObject({ role: 'assistant', reasoning_content: message.reasoning_content });
  });
});

describe('request-level reasoning from Anthropic clients', () => {
  it.each([ANT, GEM])('turns thinking on at the $dialect host from the Messages `thinking` parameter', async (host) => {
    const client = new Anthropic({ baseURL: stack.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
    const message = await client.messages
      .stream({ model: host.model, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think' }] })
      .finalMessage();
    const thinking = message.content.filter((b) => b.type === 'thinking');
    expect(thinking[0]!.thinking.trim().split(/\s+/)).toHaveLength(8);
    // Gemini's thought signature (on the first answer part) travels as a second, text-less thinking block.
    if (host.dialect === 'gemini') expect(thinking.slice(1)).toEqual([{ type: 'thinking', thinking: '', signature: expect.stringMatching(/^sbx1\./) }]);
    else expect(thinking).toHaveLength(1);
    const body = lastUpstream(stack, host).body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (host.dialect === 'anthropic') expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    else expect(body.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 1024, includeThoughts: true });
  });
});

describe('Messages streams', () => {
  // KNOWN GAP: the Messages stream encoder opens a thinking block for a foreign reasoning detail wherever it comes,
  // so a Gemini thought signature on the first text part splits the answer into two text blocks around it
  // (without streaming the answer is one text block). Clients that read the first text block get one word.
  it("streams a Gemini thinking model's answer as one text block", async () => {
    const client = new Anthropic({ baseURL: stack.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
    const message = await client.messages.stream({ model: GEM.thinkingModel, max_tokens: 100, messages: [{ role: 'user', content: 'one block' }] }).finalMessage();
    expect(message.content.filter((b) => b.type === 'text')).toHaveLength(1);
  });

  // message_start carries the input tokens when the host reported them before its first content (Anthropic and Gemini
  // hosts do); ChatAnthropic reads them from message_start only. OpenAI-compatible hosts report usage at the end, so
  // through them ChatAnthropic still sees 0 input tokens (the correct count is in message_delta): a known gap.
  it.each(HOSTS.filter((h) => h.dialect !== 'openai'))('gives LangChain ChatAnthropic the input tokens of a streamed answer ($dialect host)', async (host) => {
    const chat = new ChatAnthropic({ model: host.model, apiKey: 'unused-on-loopback', anthropicApiUrl: stack.url, maxRetries: 0 });
    let merged: AIMessageChunk | undefined;
    for await (const chunk of await chat.stream([new HumanMessage('count me')])) merged = merged ? concat(merged, chunk) : chunk;
    expect(merged!.usage_metadata!.output_tokens).toBe(16);
    expect(merged!.usage_metadata!.input_tokens).toBeGreaterThan(0);
  });
});
