/** From this length on, V8 makes a slice of a string a view into it rather than a copy. */
const SLICE_SHARES_FROM = 13;

/** A string that shares no memory with the one it was cut from. */
function ownCopy(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/**
 * Reads the text of a host's plain content chunks without parsing them as JSON.
 *
 * Nearly every chunk of an answer is the same bytes around a different piece of text:
 * `{"id":"…","object":"chat.completion.chunk",…,"choices":[{"index":0,"delta":{"content":"TEXT"},…}],…}`. Parsing
 * each one (objects, strings for the id, model and fingerprint, all thrown away) was the largest cost of relaying a
 * stream. So the decoder parses a chunk in full, and when it turns out to carry text and nothing else, learns its
 * bytes before the text (the prefix) and after it (the suffix). A later chunk with the same prefix holds, up to the
 * text, exactly the same members with the same values — the same bytes put a JSON parser in the same state — so
 * only the text and the suffix are left to check: the text must be one plain JSON string, and the suffix either the
 * same bytes again, or the same bytes with a different last string member of the chunk itself (OpenAI's per-chunk
 * `obfuscation` padding). Anything else is parsed in full, so a chunk is never read differently from its JSON.
 */
export class TextChunkTemplate {
  private prefix: string | undefined;
  private suffix = '';
  /** The suffix up to and including the opening quote of the chunk's last member's value, when that may vary. */
  private varyingSuffix: string | undefined;

  /** The chunk's text when it matches the template, else undefined (the caller parses it). */
  match(data: string): string | undefined {
    const prefix = this.prefix;
    // A slice compared with === is several times faster in V8 than startsWith on strings of different origins.
    if (prefix === undefined || data.slice(0, prefix.length) !== prefix) return undefined;
    const open = prefix.length;
    if (data.charCodeAt(open) !== 0x22 /* " */) return undefined;
    let escaped = false;
    let i = open + 1;
    for (; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c /* \ */) {
        escaped = true;
        i++;
      } else if (c < 0x20) {
        return undefined; // not valid JSON: let the parser say so
      }
    }
    if (i >= data.length || !this.suffixMatches(data, i + 1)) return undefined;
    // A short slice is a copy; a longer one (V8: 13 characters and up) points into the network read's whole string,
    // and text is kept as long as its stream (resumption, the ledger's tap), which for a real answer is seconds. The
    // JSON parser makes a string of its own.
    if (!escaped && i - open - 1 < SLICE_SHARES_FROM) return data.slice(open + 1, i);
    try {
      return JSON.parse(data.slice(open, i + 1)) as string;
    } catch {
      return undefined;
    }
  }

  private suffixMatches(data: string, at: number): boolean {
    const rest = data.length - at;
    if (rest === this.suffix.length && data.slice(at) === this.suffix) return true;
    const varying = this.varyingSuffix;
    if (varying === undefined || data.slice(at, at + varying.length) !== varying) return false;
    // The last member's value: a plain string (no quote, escape or control character), then the end of the chunk.
    const end = data.length - 2;
    if (data.charCodeAt(end) !== 0x22 || data.charCodeAt(end + 1) !== 0x7d /* } */) return false;
    for (let i = at + varying.length; i < end; i++) {
      const c = data.charCodeAt(i);
      if (c === 0x22 || c === 0x5c || c < 0x20) return false;
    }
    return true;
  }

  /**
   * Learns from a chunk that was parsed in full and carried `text` and nothing else the decoder reads. `lastMember`
   * is the chunk's last top-level member when its value is a string, so that the suffix may vary in that value.
   */
  learn(data: string, text: string, lastMember: { key: string; value: string } | undefined): void {
    const literal = JSON.stringify(text);
    const marker = `"content":${literal}`;
    const at = data.indexOf(marker);
    // The host escaped the text differently, or the same member appears twice: no template, parse every chunk.
    if (at < 0 || data.indexOf(marker, at + 1) >= 0) {
      this.prefix = undefined;
      return;
    }
    const textStart = at + '"content":'.length;
    // Copies, not slices: the template lives as long as the stream, and a slice would keep the whole read it came from.
    this.prefix = ownCopy(data.slice(0, textStart));
    this.suffix = ownCopy(data.slice(textStart + literal.length));
    this.varyingSuffix = undefined;
    if (lastMember && !/["\\]/.test(lastMember.value)) {
      const tail = `,${JSON.stringify(lastMember.key)}:"${lastMember.value}"}`;
      if (this.suffix.endsWith(tail)) this.varyingSuffix = ownCopy(this.suffix.slice(0, this.suffix.length - lastMember.value.length - 2));
    }
  }
}
