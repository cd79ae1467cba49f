import type { SeenCall, Usage } from './hosts.js';

/** One answer as a client library hands it over, reduced to what the matrix compares. */
export interface Turn {
  text: string;
  /** Reasoning as the library exposes it; undefined when it shows none. */
  reasoning: string | undefined;
  toolCalls: SeenCall[];
  /** The finish/stop reason in the library's own vocabulary. */
  finish: string | undefined;
  usage: Usage | undefined;
}

/** A first turn that called tools, and how to continue it with the tool results through the same library. */
export interface ToolTurn extends Turn {
  continueWith(results: Record<string, string>): Promise<Turn>;
}

/** One client library set up against one of the gateway's surfaces. */
export interface ClientDriver {
  readonly name: string;
  readonly surface: 'openai' | 'anthropic';
  /** The library's names for a natural stop and for a stop to call tools. */
  readonly finish: { stop: string; tools: string };
  /**
   * Whether the library hands a host's signed reasoning state (Anthropic thinking signatures, Gemini thought
   * signatures) back on the next turn, so the gateway can return it to the host.
   */
  readonly carriesReasoningState: boolean;
  /** Whether it surfaces reasoning text at all, and where (for the report). */
  readonly reasoningField: string | undefined;
  /** A plain request (non-streaming where the library has both). */
  text(model: string, prompt: string): Promise<Turn>;
  /** A streamed request offering both tools. */
  streamTools(model: string, prompt: string): Promise<ToolTurn>;
  /** A streamed plain request, for reasoning. */
  streamText(model: string, prompt: string): Promise<Turn>;
}

export function words(text: string): number {
  return text.trim().split(/\s+/).filter(Boolean).length;
}
