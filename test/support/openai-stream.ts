/** What a stream of OpenAI-style chunks adds up to: the reference both for recorded fixtures and for the gateway's output. */
export interface Assembled {
  content: string;
  reasoning: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string | undefined;
  usage: Record<string, unknown> | undefined;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function assembleChunks(chunks: Json[], reasoningField: 'reasoning_content' | 'reasoning' | 'either' = 'either'): Assembled {
  const out: Assembled = { content: '', reasoning: '', toolCalls: [], finishReason: undefined, usage: undefined };
  for (const chunk of chunks) {
    const choice = chunk.choices?.[0];
    const delta = choice?.delta;
    if (delta) {
      if (typeof delta.content === 'string') out.content += delta.content;
      const reasoning = reasoningField === 'either' ? (delta.reasoning_content ?? delta.reasoning) : delta[reasoningField];
      if (typeof reasoning === 'string') out.reasoning += reasoning;
      for (const call of delta.tool_calls ?? []) {
        const slot = (out.toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
        if (call.id) slot.id = call.id;
        if (call.function?.name) slot.name = call.function.name;
        if (call.function?.arguments) slot.arguments += call.function.arguments;
      }
    }
    if (choice?.finish_reason) out.finishReason = choice.finish_reason;
    if (chunk.usage) out.usage = chunk.usage;
  }
  return out;
}
