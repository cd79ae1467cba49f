import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { Agent, request } from 'undici';
import type { ChatRequest, ContentPart } from '../../canonical/index.js';
import type { CancelSignal } from '../types.js';

/** A real AbortSignal for one that may not be (the gateway's per-request signal is a lighter object). */
function abortSignalOf(signal: CancelSignal): AbortSignal {
  if (signal instanceof AbortSignal) return signal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', () => controller.abort(), { once: true });
  return controller.signal;
}

/**
 * Fetches image URLs for hosts that need bytes, the one place the gateway ever requests a URL a client chose. That
 * is the server-side request forgery most repeated across gateways, so: only hosts on the operator's allow-list,
 * only http(s), never an address that is private, loopback, link-local or otherwise internal (checked on the
 * resolved address, and the connection is pinned to that address so DNS cannot be rebound between check and use),
 * no redirects, a size cap and a timeout.
 */
export interface ImageFetchOptions {
  /** Host names allowed, exact (`images.example.com`) or by suffix (`*.example.com`). Empty: fetch nothing. */
  allow: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  /** Whether an address may be connected to; the default refuses every internal range. Tests may replace it. */
  addressAllowed?: (address: string) => boolean;
}

const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) INTERNAL.addSubnet(net, prefix, 'ipv4');
// IPv4-mapped addresses (::ffff:a.b.c.d) are unwrapped and checked as IPv4 below: a BlockList rule for their
// whole range would also match every plain IPv4 address.
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

export function isPublicAddress(raw: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(raw);
  const address = mapped
    ? mapped[1]!
    : hexMapped
      ? [parseInt(hexMapped[1]!, 16) >> 8, parseInt(hexMapped[1]!, 16) & 255, parseInt(hexMapped[2]!, 16) >> 8, parseInt(hexMapped[2]!, 16) & 255].join('.')
      : raw;
  const family = isIP(address);
  if (family === 0) return false;
  return !INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class ImageFetchError extends Error {}

export class ImageFetcher {
  private readonly addressAllowed: (address: string) => boolean;

  constructor(private readonly options: ImageFetchOptions) {
    this.addressAllowed = options.addressAllowed ?? isPublicAddress;
  }

  /** Whether a URL is one this fetcher would try (scheme and allow-list; the address is checked when fetching). */
  allows(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
    if (parsed.username || parsed.password) return false;
    const host = parsed.hostname.toLowerCase();
    return this.options.allow.some((rule) => {
      const r = rule.toLowerCase();
      return r.startsWith('*.') ? host.endsWith(r.slice(1)) && host.length > r.length - 1 : host === r;
    });
  }

  /** The image as a `data:` URL. */
  async fetchAsDataUrl(url: string, signal?: CancelSignal): Promise<string> {
    if (!this.allows(url)) throw new ImageFetchError('the image URL is not on the fetch allow-list');
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
    const vetted = addresses.find((a) => this.addressAllowed(a.address));
    if (!vetted || addresses.some((a) => !this.addressAllowed(a.address))) {
      throw new ImageFetchError('the image URL resolves to an internal address');
    }
    // Connect to the vetted address only, whatever the name resolves to by the time the socket opens.
    const agent = new Agent({
      connect: {
        timeout: this.options.timeoutMs,
        lookup: (_hostname, _opts, callback) => callback(null, [{ address: vetted.address, family: vetted.family }] as never),
      },
    });
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await request(url, {
        dispatcher: agent,
        method: 'GET',
        signal: signal ? AbortSignal.any([abortSignalOf(signal), timeout]) : timeout,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new ImageFetchError(`the image URL answered HTTP ${response.statusCode}${response.statusCode >= 300 && response.statusCode < 400 ? ' (redirects are not followed)' : ''}`);
      }
      const type = String(response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!type.startsWith('image/')) {
        await response.body.dump();
        throw new ImageFetchError(`the image URL served ${type || 'no content type'}, not an image`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > this.options.maxBytes) {
          response.body.destroy();
          throw new ImageFetchError(`the image is larger than ${this.options.maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      return `data:${type};base64,${Buffer.concat(chunks).toString('base64')}`;
    } catch (err) {
      if (err instanceof ImageFetchError) throw err;
      throw new ImageFetchError(`the image could not be fetched (${(err as Error).name})`);
    } finally {
      void agent.close();
    }
  }

  /**
   * A copy of the request with every allowed http(s) image URL replaced by its bytes; other URLs are left as they
   * are and reported through `warn`.
   */
  async inlineImages(request: ChatRequest, warn: (message: string) => void, signal?: CancelSignal): Promise<ChatRequest> {
    let changed = false;
    const messages = await Promise.all(
      request.messages.map(async (message) => {
        if (!Array.isArray(message.content) || !message.content.some((p) => p.type === 'image' && /^https?:/i.test(p.url))) return message;
        const content: ContentPart[] = await Promise.all(
          message.content.map(async (part) => {
            if (part.type !== 'image' || !/^https?:/i.test(part.url)) return part;
            if (!this.allows(part.url)) {
              warn('an image URL is not on images.fetch.allow, so it was passed to the host as a URL, which this host may refuse');
              return part;
            }
            changed = true;
            return { ...part, url: await this.fetchAsDataUrl(part.url, signal) };
          }),
        );
        return { ...message, content };
      }),
    );
    return changed ? { ...request, messages } : request;
  }
}
