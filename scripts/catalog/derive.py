#!/usr/bin/env python3
"""Extract and cross-check the facts behind catalog/catalog.yaml.

This script documents how the shipped catalogue was derived. It is a curator's tool, never run by the gateway.
It reads the reference data files (litellm's price map, the models.dev catalogue, OpenRouter /api/v1/models
snapshots) and:

  report [MODEL_ID ...]   prints, for every planned host of the given catalogue models (all when none given),
                          what each source says: price (USD per 1M tokens), context, max output, and flags where
                          the sources disagree.
  draft  MODEL_ID ...     prints YAML host entries for the given models, taking each value from the source the
                          plan names for that host. A starting point only: catalog.yaml is edited by hand.
  check  [CATALOG_YAML]   reads the curated catalogue and compares every host's pricing, contextLength and
                          maxOutput with the source that host cites; prints MISMATCH when the file disagrees with
                          its own cited source, and DIFF (with "noted" or "NO NOTE") where another source says
                          something else. Exits 1 on any MISMATCH.

Data directory: $CATALOG_DATA, else /work/shared/data/catalog. Requires Python 3.9+ and PyYAML (check only).

Units: litellm and OpenRouter give USD per token; models.dev gives USD per million. Everything here is printed in
USD per million tokens, computed with Decimal so that 2.8e-07 becomes 0.28 exactly.
"""
from __future__ import annotations

import glob
import json
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Optional

DATA = os.environ.get('CATALOG_DATA', '/work/shared/data/catalog')
MILLION = Decimal(1_000_000)

# Dates the sources stated their facts (see catalog.yaml `sources`).
LITELLM_ASOF = '2026-07-24'
MODELSDEV_ASOF = '2026-07-02'


def per_million(value: Any) -> Optional[Decimal]:
    """USD per token (float or string) -> USD per 1M tokens, exact to the digits given."""
    if value is None or value == '':
        return None
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    return (d * MILLION).normalize()


def dec(value: Any) -> Optional[Decimal]:
    if value is None:
        return None
    return (Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))).normalize()


def fmt(d: Optional[Decimal]) -> str:
    if d is None:
        return '-'
    s = format(d, 'f')
    return s.rstrip('0').rstrip('.') if '.' in s else s


@dataclass
class Facts:
    """One source's view of one host: prices in USD per 1M tokens."""
    source: str
    key: str
    input: Optional[Decimal] = None
    output: Optional[Decimal] = None
    cachedInput: Optional[Decimal] = None
    cacheWrite: Optional[Decimal] = None
    tiers: list[dict[str, Any]] = field(default_factory=list)
    contextLength: Optional[int] = None
    maxOutput: Optional[int] = None
    extra: dict[str, Any] = field(default_factory=dict)

    def price_str(self) -> str:
        parts = [f'in={fmt(self.input)}', f'out={fmt(self.output)}']
        if self.cachedInput is not None:
            parts.append(f'cached={fmt(self.cachedInput)}')
        if self.cacheWrite is not None:
            parts.append(f'write={fmt(self.cacheWrite)}')
        for t in self.tiers:
            parts.append(f">{t['aboveInputTokens']}: {fmt(t.get('input'))}/{fmt(t.get('output'))}")
        parts.append(f'ctx={self.contextLength or "-"} maxOut={self.maxOutput or "-"}')
        if self.extra:
            parts.append(' '.join(f'{k}={v}' for k, v in self.extra.items()))
        return ' '.join(parts)


# --------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------

class Sources:
    def __init__(self, data: str = DATA) -> None:
        with open(os.path.join(data, 'litellm/model_prices_and_context_window.json')) as f:
            self.litellm: dict[str, Any] = json.load(f)
        self.litellm.pop('sample_spec', None)
        self.litellm_lower = {k.lower(): k for k in self.litellm}
        with open(os.path.join(data, 'modelsdev/models_dev_catalog.json')) as f:
            md = json.load(f)
        self.md_providers: dict[str, Any] = md['providers']
        self.md_models: dict[str, Any] = md['models']
        self.openrouter: dict[str, dict[str, Any]] = {}
        for path in sorted(glob.glob(os.path.join(data, 'openrouter/openrouter_api_v1_models_*.json'))):
            date = re.search(r'(\d{4}-\d{2}-\d{2})', os.path.basename(path)).group(1)  # type: ignore[union-attr]
            with open(path) as f:
                self.openrouter[date] = {m['id']: m for m in json.load(f)['data']}

    # litellm ------------------------------------------------------------------------------------------------
    def litellm_facts(self, key: str) -> Optional[Facts]:
        real = key if key in self.litellm else self.litellm_lower.get(key.lower())
        if real is None:
            return None
        v = self.litellm[real]
        f = Facts('litellm', real)
        f.input = per_million(v.get('input_cost_per_token'))
        f.output = per_million(v.get('output_cost_per_token'))
        f.cachedInput = per_million(v.get('cache_read_input_token_cost'))
        write = per_million(v.get('cache_creation_input_token_cost'))
        f.cacheWrite = write if write else None  # litellm writes 0 for "no separate write price"
        f.contextLength = v.get('max_input_tokens')
        f.maxOutput = v.get('max_output_tokens')
        for tier in v.get('tiered_pricing') or []:
            lo = int(tier['range'][0])
            t = {'input': per_million(tier.get('input_cost_per_token')),
                 'output': per_million(tier.get('output_cost_per_token')),
                 'cachedInput': per_million(tier.get('cache_read_input_token_cost'))}
            if lo == 0:
                f.input, f.output = t['input'], t['output']
                f.cachedInput = t['cachedInput'] or f.cachedInput
            else:
                f.tiers.append({'aboveInputTokens': lo, **t})
        if v.get('input_cost_per_token_above_200k_tokens') is not None:
            f.tiers.append({'aboveInputTokens': 200000,
                            'input': per_million(v.get('input_cost_per_token_above_200k_tokens')),
                            'output': per_million(v.get('output_cost_per_token_above_200k_tokens')),
                            'cachedInput': per_million(v.get('cache_read_input_token_cost_above_200k_tokens')),
                            'cacheWrite': per_million(v.get('cache_creation_input_token_cost_above_200k_tokens'))})
        for flag in ('deprecation_date', 'mode'):
            if v.get(flag) and not (flag == 'mode' and v[flag] == 'chat'):
                f.extra[flag] = v[flag]
        return f

    # models.dev ---------------------------------------------------------------------------------------------
    def modelsdev_entry(self, provider: str, key: str) -> Optional[tuple[str, dict[str, Any]]]:
        models = self.md_providers.get(provider, {}).get('models', {})
        real = key if key in models else next((k for k in models if k.lower() == key.lower()), None)
        if real is None:
            return None
        entry = dict(models[real])
        base = entry.get('base_model')
        if base and base in self.md_models:  # provider entries may inherit from the provider-agnostic model
            entry = {**self.md_models[base], **entry}
        return real, entry

    def modelsdev_facts(self, provider: str, key: str) -> Optional[Facts]:
        found = self.modelsdev_entry(provider, key)
        if not found:
            return None
        real, v = found
        cost = v.get('cost') or {}
        f = Facts('modelsdev', f'{provider}:{real}')
        f.input, f.output = dec(cost.get('input')), dec(cost.get('output'))
        f.cachedInput, f.cacheWrite = dec(cost.get('cache_read')), dec(cost.get('cache_write'))
        if f.cacheWrite == 0:
            f.cacheWrite = None
        for t in cost.get('tiers') or []:
            f.tiers.append({'aboveInputTokens': t['tier']['size'], 'input': dec(t.get('input')),
                            'output': dec(t.get('output')), 'cachedInput': dec(t.get('cache_read')),
                            'cacheWrite': dec(t.get('cache_write'))})
        limit = v.get('limit') or {}
        f.contextLength, f.maxOutput = limit.get('context'), limit.get('output')
        for k in ('status', 'reasoning'):
            if k == 'reasoning' and cost.get('reasoning') is not None:
                f.extra['reasoningOutput'] = cost['reasoning']
            elif k == 'status' and v.get('status'):
                f.extra['status'] = v['status']
        return f

    # OpenRouter ---------------------------------------------------------------------------------------------
    def openrouter_model(self, model_id: str, date: Optional[str] = None) -> Optional[tuple[str, dict[str, Any]]]:
        dates = [date] if date else sorted(self.openrouter, reverse=True)
        for d in dates:
            m = self.openrouter.get(d, {}).get(model_id)
            if m:
                return d, m
        return None

    def openrouter_facts(self, model_id: str, date: Optional[str] = None) -> Optional[Facts]:
        found = self.openrouter_model(model_id, date)
        if not found:
            return None
        d, m = found
        p = m['pricing']
        f = Facts(f'openrouter-{d}', model_id)
        f.input, f.output = per_million(p.get('prompt')), per_million(p.get('completion'))
        f.cachedInput = per_million(p.get('input_cache_read')) or None
        f.cacheWrite = per_million(p.get('input_cache_write')) or None
        f.contextLength = m.get('context_length')
        f.maxOutput = (m.get('top_provider') or {}).get('max_completion_tokens')
        return f


# --------------------------------------------------------------------------------------------------------------
# How a catalogue provider's host name maps to each source's key
# --------------------------------------------------------------------------------------------------------------

LITELLM_PREFIXES = {
    'deepseek': ['deepseek/'], 'dashscope-intl': ['dashscope/'], 'moonshot': ['moonshot/'], 'zai': ['zai/'],
    'minimax': ['minimax/'], 'mistral': ['mistral/'], 'openai': [''], 'anthropic': [''], 'google': ['gemini/'],
    'openrouter': ['openrouter/'], 'together': ['together_ai/'], 'fireworks': ['fireworks_ai/'],
    'deepinfra': ['deepinfra/'], 'groq': ['groq/'], 'novita': ['novita/'], 'cerebras': ['cerebras/'],
    'bedrock': ['', 'bedrock/us-east-1/', 'us.'], 'vertex': ['vertex_ai/', ''], 'azure': ['azure/', 'azure_ai/'],
    # litellm has no SiliconFlow rows and its dashscope rows are the international endpoint.
    'dashscope-cn': [], 'siliconflow': [], 'siliconflow-cn': [],
}
MODELSDEV_PROVIDERS = {
    'deepseek': ['deepseek'], 'dashscope-intl': ['alibaba'], 'dashscope-cn': ['alibaba-cn'],
    'moonshot': ['moonshotai'], 'zai': ['zai'], 'minimax': ['minimax'], 'mistral': ['mistral'],
    'openai': ['openai'], 'anthropic': ['anthropic'], 'google': ['google'], 'openrouter': ['openrouter'],
    'together': ['togetherai'], 'fireworks': ['fireworks-ai'], 'deepinfra': ['deepinfra'], 'groq': ['groq'],
    'siliconflow': ['siliconflow'], 'siliconflow-cn': ['siliconflow-cn'], 'novita': ['novita-ai'],
    'cerebras': ['cerebras'], 'bedrock': ['amazon-bedrock'], 'vertex': ['google-vertex', 'google-vertex-anthropic'],
    'azure': ['azure'],
}
# Host names whose source keys do not follow the prefix rules above: (provider, host name) -> keys.
KEY_OVERRIDES: dict[tuple[str, str], dict[str, str]] = {
    ('bedrock', 'deepseek.r1-v1:0'): {'litellm': 'us.deepseek.r1-v1:0'},
    ('vertex', 'claude-sonnet-4-5@20250929'): {'litellm': 'vertex_ai/claude-sonnet-4-5@20250929'},
    ('azure', 'Llama-4-Maverick-17B-128E-Instruct-FP8'): {'modelsdev': 'llama-4-maverick-17b-128e-instruct-fp8'},
    ('mistral', 'mistral-small-2506'): {'litellm': 'mistral/mistral-small-3-2-2506'},
}


def gather(src: Sources, provider: str, name: str) -> list[Facts]:
    """Every source's facts for one host (provider + its own model name)."""
    out: list[Facts] = []
    override = KEY_OVERRIDES.get((provider, name), {})
    keys = [override['litellm']] if 'litellm' in override else [p + name for p in LITELLM_PREFIXES.get(provider, [])]
    for key in keys:
        f = src.litellm_facts(key)
        if f:
            out.append(f)
            break
    for mdp in MODELSDEV_PROVIDERS.get(provider, []):
        f = src.modelsdev_facts(mdp, override.get('modelsdev', name))
        if f:
            out.append(f)
            break
    if provider == 'openrouter':
        for d in sorted(src.openrouter, reverse=True):
            f = src.openrouter_facts(name, d)
            if f:
                out.append(f)
    return out


# --------------------------------------------------------------------------------------------------------------
# The plan: which hosts each catalogue model gets, and which source each host's values come from.
#   "provider:host name"            value source chosen by rule (models.dev for third parties when it has the
#                                   row, else litellm; OpenRouter hosts from the newest OpenRouter snapshot)
#   "provider:host name@source"     explicit source: litellm | modelsdev | openrouter
# --------------------------------------------------------------------------------------------------------------

PLAN: dict[str, list[str]] = {
    'deepseek/deepseek-v3.2': [
        'deepseek:deepseek-chat@litellm', 'openrouter:deepseek/deepseek-v3.2', 'fireworks:accounts/fireworks/models/deepseek-v3p2',
        'deepinfra:deepseek-ai/DeepSeek-V3.2', 'novita:deepseek/deepseek-v3.2', 'siliconflow:deepseek-ai/DeepSeek-V3.2',
        'siliconflow-cn:deepseek-ai/DeepSeek-V3.2', 'bedrock:deepseek.v3.2', 'vertex:deepseek-ai/deepseek-v3.2-maas',
        'azure:deepseek-v3.2'],
    'deepseek/deepseek-chat-v3.1': [
        'openrouter:deepseek/deepseek-chat-v3.1', 'together:deepseek-ai/DeepSeek-V3.1', 'fireworks:accounts/fireworks/models/deepseek-v3p1',
        'deepinfra:deepseek-ai/DeepSeek-V3.1', 'novita:deepseek/deepseek-v3.1', 'siliconflow:deepseek-ai/DeepSeek-V3.1',
        'vertex:deepseek-ai/deepseek-v3.1-maas', 'azure:deepseek-v3.1'],
    'deepseek/deepseek-r1': [
        'openrouter:deepseek/deepseek-r1', 'together:deepseek-ai/DeepSeek-R1', 'fireworks:accounts/fireworks/models/deepseek-r1',
        'deepinfra:deepseek-ai/DeepSeek-R1', 'siliconflow:deepseek-ai/DeepSeek-R1', 'siliconflow-cn:deepseek-ai/DeepSeek-R1',
        'dashscope-cn:deepseek-r1', 'bedrock:deepseek.r1-v1:0', 'azure:deepseek-r1'],
    'deepseek/deepseek-r1-0528': [
        'openrouter:deepseek/deepseek-r1-0528', 'together:deepseek-ai/DeepSeek-R1-0528-tput', 'fireworks:accounts/fireworks/models/deepseek-r1-0528',
        'deepinfra:deepseek-ai/DeepSeek-R1-0528', 'novita:deepseek/deepseek-r1-0528', 'dashscope-cn:deepseek-r1-0528',
        'vertex:deepseek-ai/deepseek-r1-0528-maas', 'azure:deepseek-r1-0528'],
    'qwen/qwen3-235b-a22b': [
        'dashscope-intl:qwen3-235b-a22b', 'dashscope-cn:qwen3-235b-a22b', 'openrouter:qwen/qwen3-235b-a22b',
        'together:Qwen/Qwen3-235B-A22B-fp8-tput', 'fireworks:accounts/fireworks/models/qwen3-235b-a22b',
        'deepinfra:Qwen/Qwen3-235B-A22B', 'novita:qwen/qwen3-235b-a22b-fp8'],
    'qwen/qwen3-235b-a22b-2507': [
        'openrouter:qwen/qwen3-235b-a22b-2507', 'together:Qwen/Qwen3-235B-A22B-Instruct-2507-tput',
        'fireworks:accounts/fireworks/models/qwen3-235b-a22b-instruct-2507', 'deepinfra:Qwen/Qwen3-235B-A22B-Instruct-2507',
        'novita:qwen/qwen3-235b-a22b-instruct-2507', 'siliconflow-cn:Qwen/Qwen3-235B-A22B-Instruct-2507',
        'bedrock:qwen.qwen3-235b-a22b-2507-v1:0', 'vertex:qwen/qwen3-235b-a22b-instruct-2507-maas@litellm'],
    'qwen/qwen3-235b-a22b-thinking-2507': [
        'openrouter:qwen/qwen3-235b-a22b-thinking-2507', 'together:Qwen/Qwen3-235B-A22B-Thinking-2507',
        'fireworks:accounts/fireworks/models/qwen3-235b-a22b-thinking-2507', 'deepinfra:Qwen/Qwen3-235B-A22B-Thinking-2507',
        'novita:qwen/qwen3-235b-a22b-thinking-2507', 'siliconflow:Qwen/Qwen3-235B-A22B-Thinking-2507',
        'siliconflow-cn:Qwen/Qwen3-235B-A22B-Thinking-2507'],
    'qwen/qwen3-30b-a3b': [
        'dashscope-intl:qwen3-30b-a3b@litellm', 'openrouter:qwen/qwen3-30b-a3b', 'fireworks:accounts/fireworks/models/qwen3-30b-a3b',
        'deepinfra:Qwen/Qwen3-30B-A3B', 'novita:qwen/qwen3-30b-a3b-fp8'],
    'qwen/qwen3-8b': [
        'dashscope-intl:qwen3-8b', 'dashscope-cn:qwen3-8b', 'openrouter:qwen/qwen3-8b', 'fireworks:accounts/fireworks/models/qwen3-8b',
        'novita:qwen/qwen3-8b-fp8', 'siliconflow:Qwen/Qwen3-8B', 'siliconflow-cn:Qwen/Qwen3-8B'],
    'qwen/qwen3-coder': [
        'dashscope-intl:qwen3-coder-480b-a35b-instruct', 'dashscope-cn:qwen3-coder-480b-a35b-instruct', 'openrouter:qwen/qwen3-coder',
        'together:Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8', 'fireworks:accounts/fireworks/models/qwen3-coder-480b-a35b-instruct',
        'deepinfra:Qwen/Qwen3-Coder-480B-A35B-Instruct-Turbo', 'novita:qwen/qwen3-coder-480b-a35b-instruct',
        'siliconflow:Qwen/Qwen3-Coder-480B-A35B-Instruct', 'siliconflow-cn:Qwen/Qwen3-Coder-480B-A35B-Instruct',
        'bedrock:qwen.qwen3-coder-480b-a35b-v1:0', 'vertex:qwen/qwen3-coder-480b-a35b-instruct-maas'],
    'qwen/qwen3-coder-plus': ['dashscope-intl:qwen3-coder-plus@litellm', 'dashscope-cn:qwen3-coder-plus', 'openrouter:qwen/qwen3-coder-plus'],
    'qwen/qwen3-max': ['dashscope-intl:qwen3-max@litellm', 'dashscope-cn:qwen3-max', 'openrouter:qwen/qwen3-max', 'novita:qwen/qwen3-max'],
    'qwen/qwen3-embedding-8b': ['novita:qwen/qwen3-embedding-8b'],
    'z-ai/glm-4.5': ['zai:glm-4.5@modelsdev', 'openrouter:z-ai/glm-4.5', 'deepinfra:zai-org/GLM-4.5', 'novita:zai-org/glm-4.5'],
    'z-ai/glm-4.6': [
        'zai:glm-4.6@modelsdev', 'openrouter:z-ai/glm-4.6', 'together:zai-org/GLM-4.6', 'deepinfra:zai-org/GLM-4.6',
        'novita:zai-org/glm-4.6', 'siliconflow-cn:zai-org/GLM-4.6'],
    'minimax/minimax-m2': [
        'minimax:MiniMax-M2@modelsdev', 'openrouter:minimax/minimax-m2', 'fireworks:accounts/fireworks/models/minimax-m2',
        'novita:minimax/minimax-m2', 'bedrock:minimax.minimax-m2', 'vertex:minimaxai/minimax-m2-maas'],
    'moonshotai/kimi-k2': [
        'moonshot:kimi-k2-0711-preview@litellm', 'openrouter:moonshotai/kimi-k2', 'together:moonshotai/Kimi-K2-Instruct',
        'fireworks:accounts/fireworks/models/kimi-k2-instruct', 'deepinfra:moonshotai/Kimi-K2-Instruct',
        'novita:moonshotai/kimi-k2-instruct', 'dashscope-cn:moonshot-kimi-k2-instruct'],
    'moonshotai/kimi-k2-0905': [
        'moonshot:kimi-k2-0905-preview@litellm', 'openrouter:moonshotai/kimi-k2-0905', 'groq:moonshotai/kimi-k2-instruct-0905',
        'together:moonshotai/Kimi-K2-Instruct-0905', 'fireworks:accounts/fireworks/models/kimi-k2-instruct-0905',
        'deepinfra:moonshotai/Kimi-K2-Instruct-0905', 'novita:moonshotai/kimi-k2-0905', 'siliconflow-cn:moonshotai/Kimi-K2-Instruct-0905'],
    'moonshotai/kimi-k2-thinking': [
        'moonshot:kimi-k2-thinking@litellm', 'openrouter:moonshotai/kimi-k2-thinking', 'fireworks:accounts/fireworks/models/kimi-k2-thinking',
        'novita:moonshotai/kimi-k2-thinking', 'dashscope-cn:kimi-k2-thinking', 'siliconflow-cn:moonshotai/Kimi-K2-Thinking',
        'bedrock:moonshot.kimi-k2-thinking', 'vertex:moonshotai/kimi-k2-thinking-maas', 'azure:kimi-k2-thinking'],
    'mistralai/mistral-large-2512': [
        'mistral:mistral-large-2512@litellm', 'openrouter:mistralai/mistral-large-2512', 'fireworks:accounts/fireworks/models/mistral-large-3-fp8',
        'bedrock:mistral.mistral-large-3-675b-instruct', 'azure:mistral-large-3'],
    'mistralai/mistral-medium-3.1': ['mistral:mistral-medium-2508@litellm', 'openrouter:mistralai/mistral-medium-3.1'],
    'mistralai/mistral-medium-3': [
        'mistral:mistral-medium-2505@modelsdev', 'openrouter:mistralai/mistral-medium-3', 'vertex:mistral-medium-3', 'azure:mistral-medium-2505'],
    'mistralai/mistral-small-3.2-24b-instruct': [
        'mistral:mistral-small-2506@litellm', 'openrouter:mistralai/mistral-small-3.2-24b-instruct',
        'deepinfra:mistralai/Mistral-Small-3.2-24B-Instruct-2506'],
    'mistralai/devstral-2512': ['mistral:devstral-2512@litellm', 'openrouter:mistralai/devstral-2512', 'bedrock:mistral.devstral-2-123b'],
    'mistralai/devstral-small': ['mistral:devstral-small-2507@litellm', 'openrouter:mistralai/devstral-small'],
    'openai/gpt-oss-120b': [
        'openrouter:openai/gpt-oss-120b', 'groq:openai/gpt-oss-120b', 'together:openai/gpt-oss-120b',
        'fireworks:accounts/fireworks/models/gpt-oss-120b', 'deepinfra:openai/gpt-oss-120b', 'novita:openai/gpt-oss-120b',
        'siliconflow:openai/gpt-oss-120b', 'cerebras:gpt-oss-120b', 'bedrock:openai.gpt-oss-120b-1:0',
        'vertex:openai/gpt-oss-120b-maas@litellm', 'azure:gpt-oss-120b'],
    'openai/gpt-oss-20b': [
        'openrouter:openai/gpt-oss-20b', 'groq:openai/gpt-oss-20b', 'together:openai/gpt-oss-20b',
        'fireworks:accounts/fireworks/models/gpt-oss-20b', 'deepinfra:openai/gpt-oss-20b', 'novita:openai/gpt-oss-20b',
        'siliconflow:openai/gpt-oss-20b', 'bedrock:openai.gpt-oss-20b-1:0', 'vertex:openai/gpt-oss-20b-maas@litellm'],
    'meta-llama/llama-3.1-8b-instruct': [
        'openrouter:meta-llama/llama-3.1-8b-instruct', 'groq:llama-3.1-8b-instant', 'together:meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
        'deepinfra:meta-llama/Meta-Llama-3.1-8B-Instruct', 'novita:meta-llama/llama-3.1-8b-instruct', 'cerebras:llama3.1-8b',
        'bedrock:meta.llama3-1-8b-instruct-v1:0', 'azure:Meta-Llama-3.1-8B-Instruct'],
    'meta-llama/llama-3.3-70b-instruct': [
        'openrouter:meta-llama/llama-3.3-70b-instruct', 'groq:llama-3.3-70b-versatile', 'together:meta-llama/Llama-3.3-70B-Instruct-Turbo',
        'deepinfra:meta-llama/Llama-3.3-70B-Instruct-Turbo', 'novita:meta-llama/llama-3.3-70b-instruct', 'cerebras:llama-3.3-70b',
        'bedrock:meta.llama3-3-70b-instruct-v1:0', 'vertex:meta/llama-3.3-70b-instruct-maas', 'azure:Llama-3.3-70B-Instruct'],
    'meta-llama/llama-4-maverick': [
        'openrouter:meta-llama/llama-4-maverick', 'groq:meta-llama/llama-4-maverick-17b-128e-instruct',
        'together:meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'fireworks:accounts/fireworks/models/llama4-maverick-instruct-basic',
        'deepinfra:meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8', 'novita:meta-llama/llama-4-maverick-17b-128e-instruct-fp8',
        'bedrock:meta.llama4-maverick-17b-instruct-v1:0', 'vertex:meta/llama-4-maverick-17b-128e-instruct-maas',
        'azure:Llama-4-Maverick-17B-128E-Instruct-FP8@modelsdev'],
    'meta-llama/llama-4-scout': [
        'openrouter:meta-llama/llama-4-scout', 'groq:meta-llama/llama-4-scout-17b-16e-instruct',
        'together:meta-llama/Llama-4-Scout-17B-16E-Instruct', 'fireworks:accounts/fireworks/models/llama4-scout-instruct-basic',
        'deepinfra:meta-llama/Llama-4-Scout-17B-16E-Instruct', 'novita:meta-llama/llama-4-scout-17b-16e-instruct',
        'bedrock:meta.llama4-scout-17b-instruct-v1:0', 'azure:Llama-4-Scout-17B-16E-Instruct'],
    'openai/gpt-5': ['openai:gpt-5@modelsdev', 'azure:gpt-5@litellm', 'openrouter:openai/gpt-5'],
    'openai/gpt-5-mini': ['openai:gpt-5-mini@modelsdev', 'azure:gpt-5-mini@litellm', 'openrouter:openai/gpt-5-mini'],
    'openai/gpt-5-nano': ['openai:gpt-5-nano@modelsdev', 'azure:gpt-5-nano@litellm', 'openrouter:openai/gpt-5-nano'],
    'openai/gpt-5.1': ['openai:gpt-5.1@modelsdev', 'azure:gpt-5.1@litellm', 'openrouter:openai/gpt-5.1'],
    'openai/gpt-4.1': ['openai:gpt-4.1@litellm', 'azure:gpt-4.1@litellm', 'openrouter:openai/gpt-4.1'],
    'openai/gpt-4.1-mini': ['openai:gpt-4.1-mini@litellm', 'azure:gpt-4.1-mini@litellm', 'openrouter:openai/gpt-4.1-mini'],
    'openai/text-embedding-3-small': ['openai:text-embedding-3-small@litellm', 'azure:text-embedding-3-small@litellm'],
    'anthropic/claude-sonnet-4.5': [
        'anthropic:claude-sonnet-4-5-20250929@litellm', 'bedrock:anthropic.claude-sonnet-4-5-20250929-v1:0@litellm',
        'vertex:claude-sonnet-4-5@20250929@litellm', 'openrouter:anthropic/claude-sonnet-4.5'],
    'anthropic/claude-haiku-4.5': [
        'anthropic:claude-haiku-4-5-20251001@litellm', 'bedrock:anthropic.claude-haiku-4-5-20251001-v1:0@litellm',
        'vertex:claude-haiku-4-5@20251001@modelsdev', 'openrouter:anthropic/claude-haiku-4.5'],
    'anthropic/claude-opus-4.5': [
        'anthropic:claude-opus-4-5-20251101@litellm', 'bedrock:anthropic.claude-opus-4-5-20251101-v1:0@litellm',
        'vertex:claude-opus-4-5@20251101@litellm', 'openrouter:anthropic/claude-opus-4.5'],
    'anthropic/claude-opus-4.1': [
        'anthropic:claude-opus-4-1-20250805@litellm', 'bedrock:anthropic.claude-opus-4-1-20250805-v1:0@litellm',
        'vertex:claude-opus-4-1@20250805@litellm', 'openrouter:anthropic/claude-opus-4.1'],
    'google/gemini-2.5-pro': ['google:gemini-2.5-pro@modelsdev', 'vertex:gemini-2.5-pro@litellm', 'openrouter:google/gemini-2.5-pro'],
    'google/gemini-2.5-flash': ['google:gemini-2.5-flash@modelsdev', 'vertex:gemini-2.5-flash@litellm', 'openrouter:google/gemini-2.5-flash'],
    'google/gemini-2.5-flash-lite': [
        'google:gemini-2.5-flash-lite@modelsdev', 'vertex:gemini-2.5-flash-lite@litellm', 'openrouter:google/gemini-2.5-flash-lite'],
}

FIRST_PARTY = {'deepseek', 'dashscope-intl', 'dashscope-cn', 'moonshot', 'zai', 'minimax', 'mistral', 'openai', 'anthropic', 'google'}
PREFILL = {'deepseek': 'prefix', 'mistral': 'prefix', 'moonshot': 'partial', 'anthropic': 'trailing_assistant',
           'openai': 'none', 'google': 'none'}


def parse_plan_entry(entry: str) -> tuple[str, str, Optional[str]]:
    provider, rest = entry.split(':', 1)
    m = re.match(r'^(.*)@(litellm|modelsdev|openrouter)$', rest)
    return (provider, m.group(1), m.group(2)) if m else (provider, rest, None)


def pick(facts: list[Facts], provider: str, wanted: Optional[str]) -> Optional[Facts]:
    by = {('openrouter' if f.source.startswith('openrouter-') else f.source): f for f in reversed(facts)}
    if wanted:
        return by.get(wanted)
    if provider == 'openrouter':
        return by.get('openrouter') or by.get('modelsdev')
    return by.get('modelsdev') if provider not in FIRST_PARTY and 'modelsdev' in by else by.get('litellm') or by.get('modelsdev')


def disagreements(facts: list[Facts]) -> list[str]:
    out = []
    for attr in ('input', 'output', 'cachedInput', 'contextLength', 'maxOutput'):
        vals = {f.source: getattr(f, attr) for f in facts if getattr(f, attr) is not None}
        if len(set(vals.values())) > 1:
            out.append(f'{attr}: ' + ', '.join(f'{s}={fmt(v) if isinstance(v, Decimal) else v}' for s, v in vals.items()))
    return out


def model_level(src: Sources, model_id: str) -> list[str]:
    lines = []
    found = src.openrouter_model(model_id)
    if found:
        d, m = found
        created = datetime.fromtimestamp(m['created'], tz=timezone.utc).date().isoformat()
        lines.append(f"openrouter-{d}: created={created} ctx={m.get('context_length')} "
                     f"in={m['architecture'].get('input_modalities')} hf={m.get('hugging_face_id')}")
        lines.append(f"  supported_parameters={m.get('supported_parameters')}")
    return lines


def cmd_report(src: Sources, ids: list[str]) -> None:
    for model_id in ids or list(PLAN):
        print(f'\n=== {model_id}')
        for line in model_level(src, model_id):
            print('   ', line)
        for entry in PLAN.get(model_id, []):
            provider, name, wanted = parse_plan_entry(entry)
            facts = gather(src, provider, name)
            chosen = pick(facts, provider, wanted)
            print(f'  - {provider}: {name}  -> {chosen.source if chosen else "UNSOURCED"}')
            for f in facts:
                print(f'      {f.source:22} {f.key:60} {f.price_str()}')
            for d in disagreements(facts):
                print(f'      !! {d}')


def yaml_price(f: Facts) -> str:
    parts = [f'input: {fmt(f.input)}', f'output: {fmt(f.output)}']
    if f.cachedInput is not None:
        parts.append(f'cachedInput: {fmt(f.cachedInput)}')
    if f.cacheWrite is not None:
        parts.append(f'cacheWrite: {fmt(f.cacheWrite)}')
    return '{ ' + ', '.join(parts) + ' }'


def source_key(f: Facts) -> tuple[str, str]:
    if f.source == 'litellm':
        return 'litellm', LITELLM_ASOF
    if f.source == 'modelsdev':
        return 'modelsdev', MODELSDEV_ASOF
    return f.source, f.source[len('openrouter-'):]


def cmd_draft(src: Sources, ids: list[str]) -> None:
    for model_id in ids:
        print(f'  # {model_id}')
        print('    hosts:')
        for entry in PLAN[model_id]:
            provider, name, wanted = parse_plan_entry(entry)
            facts = gather(src, provider, name)
            f = pick(facts, provider, wanted)
            q = json.dumps(name) if re.search(r'[:@#]', name) else name
            print(f'      - provider: {provider}')
            print(f'        name: {q}')
            if f is None:
                print('        # UNSOURCED')
                continue
            if f.input is not None and f.output is not None:
                print(f'        pricing: {yaml_price(f)}')
            if f.tiers:
                print('        tiers:')
                for t in f.tiers:
                    tf = Facts('', '', t.get('input'), t.get('output'), t.get('cachedInput'), t.get('cacheWrite'))
                    print(f"          - {{ aboveInputTokens: {t['aboveInputTokens']}, {yaml_price(tf)[2:]}")
            if f.contextLength:
                print(f'        contextLength: {f.contextLength}')
            if f.maxOutput:
                print(f'        maxOutput: {f.maxOutput}')
            if re.search(r'fp8', name, re.I):
                print('        quantization: fp8')
            found = src.openrouter_model(model_id) if provider in FIRST_PARTY else None
            if found:
                print(f"        supportedParameters: [{', '.join(found[1].get('supported_parameters') or [])}]")
            if provider in PREFILL:
                print(f'        prefill: {PREFILL[provider]}')
            key, asof = source_key(f)
            print(f'        source: {key}')
            print(f'        asOf: "{asof}"')
            diffs = disagreements(facts)
            if diffs:
                print('        # ' + '; '.join(diffs))


def cmd_check(src: Sources, path: str) -> int:
    import yaml  # PyYAML; only this command needs it

    with open(path) as f:
        catalog = yaml.safe_load(f)
    mismatches = 0
    for model in catalog['models']:
        # Model-level facts: checked where the model cites an OpenRouter snapshot (listing date = released).
        if model['source'].startswith('openrouter-'):
            row = src.openrouter.get(model['source'][len('openrouter-'):], {}).get(model['id'])
            if row is None:
                print(f"MISMATCH {model['id']}: {model['source']} does not list this model")
                mismatches += 1
            else:
                created = datetime.fromtimestamp(row['created'], tz=timezone.utc).date().isoformat()
                if created != str(model['released']) or row.get('context_length') != model['contextLength']:
                    print(f"MISMATCH {model['id']}: released/context {model['released']}/{model['contextLength']} "
                          f"vs {model['source']} {created}/{row.get('context_length')}")
                    mismatches += 1
        for host in model['hosts']:
            facts = gather(src, host['provider'], host['name'])
            cited = host['source']
            label = f"{model['id']} @ {host['provider']} ({host['name']})"
            if cited == 'litellm':
                own = next((f for f in facts if f.source == 'litellm'), None)
            elif cited == 'modelsdev':
                own = next((f for f in facts if f.source == 'modelsdev'), None)
            elif cited.startswith('openrouter-'):
                own = src.openrouter_facts(host['name'], cited[len('openrouter-'):])
            else:
                print(f'SKIP     {label}: cites {cited} (not a data file)')
                continue
            if own is None:
                print(f'MISMATCH {label}: cited source {cited} has no row for this host')
                mismatches += 1
                continue
            pricing = host.get('pricing') or {}
            # A value the cited source does not have (or a source value left out) needs a note saying why;
            # two different values are always a mismatch.
            for attr in ('input', 'output', 'cachedInput', 'cacheWrite', 'contextLength', 'maxOutput'):
                raw = pricing.get(attr) if attr in ('input', 'output', 'cachedInput', 'cacheWrite') else host.get(attr)
                mine = dec(raw)
                theirs = getattr(own, attr)
                theirs = dec(theirs) if theirs is not None else None
                if mine is not None and theirs is not None and mine != theirs:
                    print(f'MISMATCH {label}: {attr} file={fmt(mine)} {cited}={fmt(theirs)}')
                    mismatches += 1
                elif (mine is None) != (theirs is None) and 'note' not in host:
                    print(f'MISMATCH {label}: {attr} file={fmt(mine)} {cited}={fmt(theirs)} (no note)')
                    mismatches += 1
            mine_tiers = sorted((t['aboveInputTokens'], dec(t['input']), dec(t['output'])) for t in host.get('tiers') or [])
            their_tiers = sorted((t['aboveInputTokens'], t['input'], t['output']) for t in own.tiers)
            if mine_tiers != their_tiers:
                print(f'MISMATCH {label}: tiers file={mine_tiers} {cited}={their_tiers}')
                mismatches += 1
            for other in facts:
                if host['provider'] == 'openrouter':
                    break  # OpenRouter's own API snapshot wins; other copies of its prices lag (file-level rule)
                if other.source == own.source or (other.source.startswith('openrouter-') and cited.startswith('openrouter-')):
                    continue
                diffs = [a for a in ('input', 'output', 'cachedInput') if getattr(other, a) is not None
                         and dec(pricing.get(a)) is not None and getattr(other, a) != dec(pricing.get(a))]
                if diffs:
                    noted = 'noted' if 'note' in host else 'NO NOTE'
                    print(f'DIFF     {label}: {other.source} says {other.price_str()} ({noted})')
    print(f'\n{mismatches} mismatch(es)')
    return 1 if mismatches else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ('report', 'draft', 'check'):
        print(__doc__)
        return 2
    src = Sources()
    if argv[0] == 'report':
        cmd_report(src, argv[1:])
    elif argv[0] == 'draft':
        cmd_draft(src, argv[1:])
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        return cmd_check(src, argv[1] if len(argv) > 1 else os.path.join(here, '../../catalog/catalog.yaml'))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
