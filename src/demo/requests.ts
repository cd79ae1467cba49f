/**
 * One live request of the demo: which app and key send it, to which model, in which dialect, how big, with which
 * tags. Pure: the generator decides when to send it and reads the answer.
 */
import { ON_PREM_CLASS, type DemoApp, type DemoKey, type ModelChoice } from './apps.js';
import { answerLengthDirective, systemPrompt, userPrompt } from './prompts.js';
import { pickWeighted, skewedInt, type Random } from './random.js';

export interface PlannedRequest {
  app: string;
  keyName: string;
  route: 'chat' | 'messages';
  path: '/v1/chat/completions' | '/v1/messages';
  stream: boolean;
  model: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Draws one request of the demo's traffic mix: an app by share, one of its keys, a model, a size. */
export function planRequest(apps: readonly DemoApp[], keys: readonly DemoKey[], random: Random): PlannedRequest {
  const app = pickWeighted(random, apps, (a) => a.share);
  const ownKeys = keys.filter((k) => k.app === app.name);
  if (ownKeys.length === 0) throw new Error(`no key was created for app ${app.name}`);
  const key = pickWeighted(random, ownKeys, (k) => k.spec.share);
  const onPrem = app.onPrem !== undefined && random() < app.onPrem.share;
  const choice: ModelChoice = onPrem ? { model: app.onPrem!.models[Math.floor(random() * app.onPrem!.models.length)]!, weight: 1 } : pickWeighted(random, app.models, (m) => m.weight);
  const stream = random() < app.streamShare;
  const feature = app.features[Math.floor(random() * app.features.length)]!;
  const outputTokens = skewedInt(random, app.outputTokens[0], app.outputTokens[1]);
  const user = userPrompt(feature, skewedInt(random, app.promptWords[0], app.promptWords[1]), random) + answerLengthDirective(outputTokens);

  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-switchboard-tags': `${feature},${key.spec.envTag}`,
    ...(onPrem ? { 'x-switchboard-data-class': ON_PREM_CLASS } : {}),
  };
  const common = { app: app.name, keyName: key.name, stream, model: choice.model };
  if (app.route === 'messages') {
    return {
      ...common,
      route: 'messages',
      path: '/v1/messages',
      headers: { ...headers, 'x-api-key': key.secret, 'anthropic-version': '2023-06-01' },
      body: { model: choice.model, max_tokens: app.maxTokens, system: systemPrompt(app.name), messages: [{ role: 'user', content: user }], stream },
    };
  }
  return {
    ...common,
    route: 'chat',
    path: '/v1/chat/completions',
    headers: { ...headers, authorization: `Bearer ${key.secret}` },
    body: {
      model: choice.model,
      ...(choice.fallbacks && !onPrem ? { models: choice.fallbacks } : {}),
      messages: [
        { role: 'system', content: systemPrompt(app.name) },
        { role: 'user', content: user },
      ],
      max_tokens: app.maxTokens,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    },
  };
}
