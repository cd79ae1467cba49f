import { matchesCountry } from '../catalog/regions.js';
import type { HostRoute, ModelInfo } from '../catalog/types.js';
import type { Block, BlockSelector } from './types.js';

/** Blocks as pure functions: which hosts a block switches off, whether it is in force, how it is named. */

/** Whether a block is in force at `now`: not removed, and not past its `until`. */
export function blockActive(block: Block, now: number): boolean {
  if (block.removedAt) return false;
  return block.until === undefined || Date.parse(block.until) > now;
}

/** Whether a selector switches off this model on this host. `origin: EU` matches every member state. */
export function selectorMatches(selector: BlockSelector, model: Pick<ModelInfo, 'id' | 'origin'>, providerId: string): boolean {
  switch (selector.kind) {
    case 'origin':
      return model.origin !== undefined && matchesCountry(selector.value, model.origin);
    case 'provider':
      return selector.value === providerId;
    case 'model':
      return selector.value.toLowerCase() === model.id.toLowerCase();
  }
}

/** `provider deepseek`, `origin CN`, `model deepseek/deepseek-v3.2`. */
export function describeSelector(selector: BlockSelector): string {
  return `${selector.kind} ${selector.value}`;
}

/** The planner's exclusion reason for a blocked host: `blocked by blk_… (provider deepseek): incident 42`. */
export function blockReason(block: Block): string {
  return `blocked by ${block.id} (${describeSelector(block.selector)})${block.reason ? `: ${block.reason}` : ''}`;
}

/** The first block (of those given, already filtered to the ones in force) that switches this host off. Pure. */
export function blockProblem(model: ModelInfo, host: HostRoute, blocks: readonly Block[] | undefined): Block | undefined {
  if (!blocks || blocks.length === 0) return undefined;
  return blocks.find((b) => selectorMatches(b.selector, model, host.provider.id));
}

/** The wire form of a block, as `POST /admin/blocks` takes it (`{"provider": "deepseek"}`) plus its record. */
export function wireBlock(block: Block, now: number): Record<string, unknown> {
  return {
    id: block.id,
    [block.selector.kind]: block.selector.value,
    selector: block.selector,
    reason: block.reason ?? null,
    until: block.until ?? null,
    createdAt: block.createdAt,
    createdBy: block.createdBy,
    removedAt: block.removedAt ?? null,
    removedBy: block.removedBy ?? null,
    active: blockActive(block, now),
  };
}
