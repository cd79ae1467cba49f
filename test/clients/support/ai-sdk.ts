import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText, tool, type LanguageModel, type LanguageModelUsage, type ModelMessage, type ToolCallPart } from 'ai';
import { z } from 'zod';
import type { ClientDriver, ToolTurn, Turn } from './driver.js';
import { CLOCK, WEATHER } from './hosts.js';

/** The same two tools, declared the AI SDK way: zod input schemas and no `execute`, so calls come back as parts. */
const tools = {
  [WEATHER.name]: tool({ description: WEATHER.description, inputSchema: z.object({ city: z.string(), unit: z.enum(['c', 'f']) }) }),
  [CLOCK.name]: tool({ description: CLOCK.description, inputSchema: z.object({ zone: z.string() }) }),
};

function usageOf(usage: LanguageModelUsage): Turn['usage'] {
  return usage.inputTokens === undefined || usage.outputTokens === undefined ? undefined : { input: usage.inputTokens, output: usage.outputTokens };
}

/** `finishReason/rawFinishReason`: the SDK's unified reason and the wire value it was mapped from. */
function finishOf(reason: string, raw: string | undefined): string {
  return `${reason}/${raw ?? '?'}`;
}

type StreamResult = ReturnType<typeof streamText<typeof tools>>;

async function collect(result: StreamResult, errors: unknown[]): Promise<Turn & { calls: ToolCallPart[]; messages: ModelMessage[] }> {
  // Reading the promises drives the stream; a failure is reported through onError, not as a rejection.
  const [text, reasoning, toolCalls, finish, raw, usage, response] = await Promise.all([
    result.text,
    result.reasoningText,
    result.toolCalls,
    result.finishReason,
    result.rawFinishReason,
    result.usage,
    result.response,
  ]).catch((e: unknown) => {
    throw errors[0] ?? e;
  });
  if (errors.length > 0) throw errors[0];
  return {
    text,
    reasoning: reasoning || undefined,
    toolCalls: toolCalls.map((c) => ({ id: c.toolCallId, name: c.toolName, args: c.input })),
    calls: toolCalls.map((c) => ({ type: 'tool-call', toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })),
    finish: finishOf(finish, raw),
    usage: usageOf(usage),
    messages: response.messages,
  };
}

function driverFor(name: string, surface: 'openai' | 'anthropic', model: (id: string) => LanguageModel, rawFinish: { stop: string; tools: string }): ClientDriver {
  const run = (id: string, messages: ModelMessage[], withTools: boolean): ReturnType<typeof collect> => {
    const errors: unknown[] = [];
    const result = streamText({
      model: model(id),
      messages,
      ...(withTools ? { tools } : {}),
      maxRetries: 0,
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    return collect(result as StreamResult, errors);
  };
  return {
    name,
    surface,
    finish: { stop: `stop/${rawFinish.stop}`, tools: `tool-calls/${rawFinish.tools}` },
    carriesReasoningState: surface === 'anthropic',
    reasoningField: 'reasoning parts / reasoningText',
    async text(id, prompt) {
      const result = await generateText({ model: model(id), prompt, maxRetries: 0 });
      return {
        text: result.text,
        reasoning: result.reasoningText || undefined,
        toolCalls: [],
        finish: finishOf(result.finishReason, result.rawFinishReason),
        usage: usageOf(result.usage),
      };
    },
    async streamText(id, prompt) {
      return run(id, [{ role: 'user', content: prompt }], false);
    },
    async streamTools(id, prompt): Promise<ToolTurn> {
      const first: ModelMessage[] = [{ role: 'user', content: prompt }];
      const turn = await run(id, first, true);
      return {
        ...turn,
        async continueWith(results) {
          const messages: ModelMessage[] = [
            ...first,
            ...turn.messages,
            {
              role: 'tool',
              content: turn.calls.map((c) => ({ type: 'tool-result', toolCallId: c.toolCallId, toolName: c.toolName, output: { type: 'text', value: results[c.toolName]! } })),
            },
          ];
          return run(id, messages, true);
        },
      };
    },
  };
}

/** Vercel AI SDK with `@ai-sdk/openai-compatible` → the Chat Completions surface. */
export function aiSdkOpenAIDriver(gatewayUrl: string): ClientDriver {
  const provider = createOpenAICompatible({ baseURL: `${gatewayUrl}/v1`, name: 'switchboard', apiKey: 'unused-on-loopback', includeUsage: true });
  return driverFor('AI SDK openai-compatible', 'openai', (id) => provider.chatModel(id), { stop: 'stop', tools: 'tool_calls' });
}

/** Vercel AI SDK with `@ai-sdk/anthropic` → the Messages surface. */
export function aiSdkAnthropicDriver(gatewayUrl: string): ClientDriver {
  const provider = createAnthropic({ baseURL: `${gatewayUrl}/v1`, apiKey: 'unused-on-loopback' });
  return driverFor('AI SDK anthropic', 'anthropic', (id) => provider(id), { stop: 'end_turn', tools: 'tool_use' });
}
