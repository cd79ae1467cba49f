import OpenAI from 'openai';
import type { ClientDriver, ToolTurn, Turn } from './driver.js';
import { CLOCK, WEATHER, type SeenCall } from './hosts.js';

type Params = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [WEATHER, CLOCK].map((t) => ({
  type: 'function',
  function: { name: t.name, description: t.description, parameters: t.parameters as unknown as Record<string, unknown> },
}));

/** The reasoning fields the SDK does not model: DeepSeek's `reasoning_content` and OpenRouter's `reasoning_details`. */
export interface VendorReasoning {
  reasoning_content?: string;
  reasoning_details?: Json[];
}

/**
 * The official `openai` SDK against the Chat Completions surface. Tool calls come from the SDK's stream helper
 * (`finalChatCompletion`). The helper keeps only the last delta's value of fields it does not know, so the
 * reasoning text and `reasoning_details` are accumulated from the raw chunks, as an OpenRouter client does.
 */
export function openAIDriver(gatewayUrl: string): ClientDriver & { client: OpenAI } {
  const client = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'unused-on-loopback', maxRetries: 0, timeout: 15_000 });

  const turnOf = (message: OpenAI.Chat.Completions.ChatCompletionMessage & VendorReasoning, finish: string | undefined, usage: OpenAI.CompletionUsage | undefined): Turn => ({
    text: message.content ?? '',
    reasoning: message.reasoning_content || undefined,
    toolCalls: (message.tool_calls ?? []).map((c): SeenCall => {
      if (c.type !== 'function') throw new Error(`unexpected tool call type ${c.type}`);
      return { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) as unknown };
    }),
    finish,
    usage: usage ? { input: usage.prompt_tokens, output: usage.completion_tokens } : undefined,
  });

  async function stream(model: string, messages: Params[], withTools: boolean): Promise<{ turn: Turn; message: Params & VendorReasoning }> {
    const runner = client.chat.completions.stream({
      model,
      messages,
      ...(withTools ? { tools } : {}),
      stream_options: { include_usage: true },
    });
    let reasoning = '';
    const details: Json[] = [];
    runner.on('chunk', (chunk) => {
      const delta = chunk.choices[0]?.delta as (Json & VendorReasoning) | undefined;
      if (typeof delta?.reasoning_content === 'string') reasoning += delta.reasoning_content;
      if (Array.isArray(delta?.reasoning_details)) details.push(...delta.reasoning_details);
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0]!;
    const message = { ...choice.message, reasoning_content: reasoning || undefined } as OpenAI.Chat.Completions.ChatCompletionMessage & VendorReasoning;
    const turn = turnOf(message, choice.finish_reason, final.usage);
    const back: Params & VendorReasoning = {
      role: 'assistant',
      content: choice.message.content ?? null,
      ...(choice.message.tool_calls ? { tool_calls: choice.message.tool_calls } : {}),
      ...(reasoning ? { reasoning_content: reasoning } : {}),
      ...(details.length > 0 ? { reasoning_details: details } : {}),
    };
    return { turn, message: back };
  }

  return {
    name: 'openai SDK',
    surface: 'openai',
    finish: { stop: 'stop', tools: 'tool_calls' },
    carriesReasoningState: true,
    reasoningField: 'message.reasoning_content / delta.reasoning_content (+ reasoning_details)',
    client,
    async text(model, prompt) {
      const data = await client.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }] });
      return turnOf(data.choices[0]!.message, data.choices[0]!.finish_reason, data.usage);
    },
    async streamText(model, prompt) {
      return (await stream(model, [{ role: 'user', content: prompt }], false)).turn;
    },
    async streamTools(model, prompt): Promise<ToolTurn> {
      const first: Params[] = [{ role: 'user', content: prompt }];
      const { turn, message } = await stream(model, first, true);
      return {
        ...turn,
        async continueWith(results) {
          const messages: Params[] = [
            ...first,
            message,
            ...turn.toolCalls.map((c): Params => ({ role: 'tool', tool_call_id: c.id, content: results[c.name]! })),
          ];
          return (await stream(model, messages, true)).turn;
        },
      };
    },
  };
}
