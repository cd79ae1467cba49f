/**
 * Splits `<think>…</think>` out of streamed content (MiniMax M2 and some self-hosted reasoning models put their
 * reasoning inside the answer). Tags may be cut anywhere across chunks, so a possible partial tag at the end of a
 * chunk is held back until the next chunk decides it.
 */
const OPEN = '<think>';
const CLOSE = '</think>';

export class ThinkTagSplitter {
  private inside = false;
  private pending = '';
  /** Right after </think>: the newlines models print there belong to neither part, even in a later chunk. */
  private afterClose = false;

  /** Feeds content; returns the reasoning and answer text that are now certain. */
  push(chunk: string): { reasoning: string; content: string } {
    let text = this.pending + chunk;
    this.pending = '';
    let reasoning = '';
    let content = '';
    while (text.length > 0) {
      if (this.afterClose) {
        text = text.replace(/^\n+/, '');
        if (text.length === 0) break;
        this.afterClose = false;
      }
      const tag = this.inside ? CLOSE : OPEN;
      const at = text.indexOf(tag);
      if (at >= 0) {
        if (this.inside) reasoning += text.slice(0, at);
        else content += text.slice(0, at);
        text = text.slice(at + tag.length);
        this.inside = !this.inside;
        if (!this.inside) this.afterClose = true;
        continue;
      }
      const keep = partialSuffix(text, tag);
      const certain = text.slice(0, text.length - keep);
      if (this.inside) reasoning += certain;
      else content += certain;
      this.pending = text.slice(text.length - keep);
      break;
    }
    return { reasoning, content };
  }

  /** What is left at the end of the stream (a dangling partial tag is just text). */
  flush(): { reasoning: string; content: string } {
    const rest = this.pending;
    this.pending = '';
    return this.inside ? { reasoning: rest, content: '' } : { reasoning: '', content: rest };
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialSuffix(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}

/** Non-streaming form: the whole content at once. */
export function splitThinkTags(content: string): { reasoning: string; content: string } {
  const splitter = new ThinkTagSplitter();
  const a = splitter.push(content);
  const b = splitter.flush();
  return { reasoning: a.reasoning + b.reasoning, content: a.content + b.content };
}
