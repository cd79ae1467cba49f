import { z } from 'zod';

/**
 * The Chat Completions request as the gateway reads it. Known fields are type-checked so a wrong type is a
 * 400 naming the field; unknown fields are kept and passed to hosts that accept them (top_k, enable_thinking,
 * chat_template_kwargs, …).
 */
const cacheControl = z.looseObject({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() });
const textPart = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: cacheControl.optional() });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
  cache_control: cacheControl.optional(),
});

/** OpenRouter's reasoning_details entries: how signed or encrypted reasoning travels through the OpenAI dialect. */
export const reasoningDetail = z.looseObject({
  type: z.enum(['reasoning.text', 'reasoning.encrypted', 'reasoning.summary']),
  text: z.string().nullish(),
  signature: z.string().nullish(),
  data: z.string().nullish(),
  summary: z.string().nullish(),
  format: z.string().nullish(),
  id: z.string().nullish(),
  index: z.number().int().nullish(),
});
const contentPart = z.discriminatedUnion('type', [textPart, imagePart], {
  error: (issue) => (issue.code === 'invalid_union' ? 'unsupported content part type (supported: text, image_url)' : undefined),
});

const toolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCall).nullish(),
  tool_call_id: z.string().optional(),
  reasoning_content: z.string().nullish(),
  reasoning: z.string().nullish(),
  reasoning_details: z.array(reasoningDetail).nullish(),
  prefix: z.boolean().optional(),
});

const tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
  cache_control: cacheControl.optional(),
});

const toolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const providerHints = z.looseObject({
  order: z.array(z.string()).optional(),
  only: z.array(z.string()).optional(),
  ignore: z.array(z.string()).optional(),
  allow_fallbacks: z.boolean().optional(),
  sort: z.enum(['price', 'latency', 'throughput']).optional(),
  max_price: z.looseObject({ prompt: z.number().optional(), completion: z.number().optional() }).optional(),
  data_collection: z.enum(['allow', 'deny']).optional(),
  zdr: z.boolean().optional(),
  require_parameters: z.boolean().optional(),
  quantizations: z.array(z.string()).optional(),
});

export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  models: z.array(z.string().min(1)).optional(),
  provider: providerHints.optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormat.optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16), z.null()]).optional(),
  seed: z.number().int().nullish(),
  user: z.string().optional(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  n: z.literal(1, { error: 'only n=1 is supported' }).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  /** OpenRouter's unified reasoning control. */
  reasoning: z
    .looseObject({
      effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).optional(),
      max_tokens: z.number().int().positive().optional(),
      exclude: z.boolean().optional(),
      enabled: z.boolean().optional(),
    })
    .optional(),
});

export type ChatCompletionWire = z.infer<typeof chatCompletionRequestSchema>;

export const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number()).min(1), z.array(z.array(z.number())).min(1)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

export type EmbeddingsWire = z.infer<typeof embeddingsRequestSchema>;

/** The fields above, so that everything else can be passed through as it came. */
export const KNOWN_CHAT_FIELDS = new Set(Object.keys(chatCompletionRequestSchema.shape));
export const KNOWN_EMBEDDING_FIELDS = new Set(Object.keys(embeddingsRequestSchema.shape));
