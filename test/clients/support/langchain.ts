import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import { concat } from '@langchain/core/utils/stream';
import { ChatOpenAI } from '@langchain/openai';
import type { ClientDriver, ToolTurn, Turn } from './driver.js';
import { CLOCK, WEATHER } from './hosts.js';

/** OpenAI-format tool definitions: both LangChain chat models accept them in `bindTools`. */
const tools = [WEATHER, CLOCK].map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } }));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Where each LangChain integration puts reasoning: Anthropic `thinking` content blocks, OpenAI `additional_kwargs.reasoning_content`. */
export function reasoningOf(message: BaseMessage): string | undefined {
  let out = '';
  if (Array.isArray(message.content)) for (const b of message.content as Json[]) if (b.type === 'thinking' && typeof b.thinking === 'string') out += b.thinking;
  const kw = message.additional_kwargs.reasoning_content;
  if (typeof kw === 'string') out += kw;
  return out || undefined;
}

/** LangChain's standard (provider-neutral) view of the same message: `contentBlocks` of type `reasoning`. */
export function standardReasoningOf(message: BaseMessage): string | undefined {
  const blocks = (message as AIMessage).contentBlocks as Json[];
  const text = blocks.filter((b) => b.type === 'reasoning').map((b) => b.reasoning as string).join('');
  return text || undefined;
}

function textOf(message: BaseMessage): string {
  if (typeof message.content === 'string') return message.content;
  return (message.content as Json[]).filter((b) => b.type === 'text').map((b) => b.text as string).join('');
}

function turnOf(message: AIMessage, finishKey: 'finish_reason' | 'stop_reason'): Turn {
  const usage = message.usage_metadata;
  return {
    text: textOf(message),
    reasoning: reasoningOf(message),
    toolCalls: (message.tool_calls ?? []).map((c) => ({ id: c.id ?? '', name: c.name, args: c.args })),
    // invoke() puts the reason in response_metadata; ChatAnthropic's stream leaves it in additional_kwargs (message_delta).
    finish: ((message.response_metadata[finishKey] ?? message.additional_kwargs[finishKey]) as string | undefined) ?? undefined,
    usage: usage ? { input: usage.input_tokens, output: usage.output_tokens } : undefined,
  };
}

/** Streams and merges the chunks the way LangChain's docs do (`concat`): the aggregate carries `tool_calls`. */
async function streamAll(model: { stream(input: BaseMessage[]): Promise<AsyncIterable<AIMessageChunk>> }, messages: BaseMessage[]): Promise<AIMessageChunk> {
  let merged: AIMessageChunk | undefined;
  for await (const chunk of await model.stream(messages)) merged = merged ? concat(merged, chunk) : chunk;
  if (!merged) throw new Error('empty stream');
  return merged;
}

function driverFor(name: string, surface: 'openai' | 'anthropic', chat: (model: string) => BaseChatModel, finishKey: 'finish_reason' | 'stop_reason'): ClientDriver {
  return {
    name,
    surface,
    finish: surface === 'openai' ? { stop: 'stop', tools: 'tool_calls' } : { stop: 'end_turn', tools: 'tool_use' },
    carriesReasoningState: surface === 'anthropic',
    reasoningField: surface === 'openai' ? 'additional_kwargs.reasoning_content' : 'content blocks of type "thinking"',
    async text(model, prompt) {
      return turnOf((await chat(model).invoke([new HumanMessage(prompt)])) as AIMessage, finishKey);
    },
    async streamText(model, prompt) {
      return turnOf(await streamAll(chat(model), [new HumanMessage(prompt)]), finishKey);
    },
    async streamTools(model, prompt): Promise<ToolTurn> {
      const bound = chat(model).bindTools!(tools);
      const first: BaseMessage[] = [new HumanMessage(prompt)];
      const merged = await streamAll(bound, first);
      const turn = turnOf(merged, finishKey);
      return {
        ...turn,
        async continueWith(results) {
          const messages: BaseMessage[] = [
            ...first,
            merged,
            ...turn.toolCalls.map((c) => new ToolMessage({ tool_call_id: c.id, content: results[c.name]! })),
          ];
          return turnOf(await streamAll(bound, messages), finishKey);
        },
      };
    },
  };
}

/** LangChain `ChatOpenAI` → the Chat Completions surface. */
export function langchainOpenAIDriver(gatewayUrl: string): ClientDriver {
  return driverFor(
    'LangChain ChatOpenAI',
    'openai',
    (model) => new ChatOpenAI({ model, apiKey: 'unused-on-loopback', configuration: { baseURL: `${gatewayUrl}/v1` }, maxRetries: 0 }),
    'finish_reason',
  );
}

/** LangChain `ChatAnthropic` → the Messages surface. */
export function langchainAnthropicDriver(gatewayUrl: string): ClientDriver {
  return driverFor(
    'LangChain ChatAnthropic',
    'anthropic',
    (model) => new ChatAnthropic({ model, apiKey: 'unused-on-loopback', anthropicApiUrl: gatewayUrl, maxRetries: 0 }),
    'stop_reason',
  );
}
