import Anthropic from '@anthropic-ai/sdk';
import type { ClientDriver, ToolTurn, Turn } from './driver.js';
import { CLOCK, WEATHER } from './hosts.js';

const tools: Anthropic.Tool[] = [WEATHER, CLOCK].map((t) => ({
  name: t.name,
  description: t.description,
  input_schema: t.parameters as unknown as Anthropic.Tool.InputSchema,
}));

function turnOf(message: Anthropic.Message): Turn {
  let text = '';
  let reasoning = '';
  const toolCalls: Turn['toolCalls'] = [];
  for (const block of message.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'thinking') reasoning += block.thinking;
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, args: block.input });
  }
  return {
    text,
    reasoning: reasoning || undefined,
    toolCalls,
    finish: message.stop_reason ?? undefined,
    usage: { input: message.usage.input_tokens, output: message.usage.output_tokens },
  };
}

/** The official `@anthropic-ai/sdk` against the Messages surface: `messages.create` and the `messages.stream` helper. */
export function anthropicDriver(gatewayUrl: string): ClientDriver {
  const client = new Anthropic({ baseURL: gatewayUrl, apiKey: 'unused-on-loopback', maxRetries: 0, timeout: 15_000 });
  return {
    name: 'anthropic SDK',
    surface: 'anthropic',
    finish: { stop: 'end_turn', tools: 'tool_use' },
    carriesReasoningState: true,
    reasoningField: 'content blocks of type "thinking" (with signature)',
    async text(model, prompt) {
      return turnOf(await client.messages.create({ model, max_tokens: 1000, messages: [{ role: 'user', content: prompt }] }));
    },
    async streamText(model, prompt) {
      return turnOf(await client.messages.stream({ model, max_tokens: 1000, messages: [{ role: 'user', content: prompt }] }).finalMessage());
    },
    async streamTools(model, prompt): Promise<ToolTurn> {
      const first: Anthropic.MessageParam[] = [{ role: 'user', content: prompt }];
      const final = await client.messages.stream({ model, max_tokens: 1000, tools, messages: first }).finalMessage();
      const turn = turnOf(final);
      return {
        ...turn,
        async continueWith(results) {
          const messages: Anthropic.MessageParam[] = [
            ...first,
            { role: 'assistant', content: final.content },
            {
              role: 'user',
              content: turn.toolCalls.map((c): Anthropic.ToolResultBlockParam => ({ type: 'tool_result', tool_use_id: c.id, content: results[c.name]! })),
            },
          ];
          return turnOf(await client.messages.stream({ model, max_tokens: 1000, tools, messages }).finalMessage());
        },
      };
    },
  };
}
