import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageFetcher, isPublicAddress } from '../../../src/providers/shared/image-fetch.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/a.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    } else if (req.url === '/big.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.alloc(4096));
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    } else if (req.url === '/html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>');
    } else if (req.url === '/slow') {
      setTimeout(() => res.end(), 2000);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://localhost:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** The loopback test server stands in for a public host: only this test's vetter lets 127.0.0.1 through. */
const permissive = (allow: string[] = ['localhost']) => new ImageFetcher({ allow, maxBytes: 1024, timeoutMs: 500, addressAllowed: () => true });

describe('image fetching for hosts that need bytes', () => {
  it('refuses every internal address by default, even for an allowed host name', async () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '::1', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '0.0.0.0', '100.64.0.1']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    const strict = new ImageFetcher({ allow: ['localhost'], maxBytes: 1024, timeoutMs: 500 });
    await expect(strict.fetchAsDataUrl(`${base}/a.png`)).rejects.toThrow(/internal address/);
  });

  it('fetches only allow-listed hosts over http(s), without credentials in the URL', () => {
    const f = new ImageFetcher({ allow: ['images.example.com', '*.cdn.example.org'], maxBytes: 1, timeoutMs: 1 });
    expect(f.allows('https://images.example.com/a.png')).toBe(true);
    expect(f.allows('https://x.cdn.example.org/a.png')).toBe(true);
    expect(f.allows('https://cdn.example.org.evil.com/a.png')).toBe(false);
    expect(f.allows('https://evil.com/?images.example.com')).toBe(false);
    expect(f.allows('ftp://images.example.com/a.png')).toBe(false);
    expect(f.allows('file:///etc/passwd')).toBe(false);
    expect(f.allows('https://user:pw@images.example.com/a.png')).toBe(false);
  });

  it('returns a data URL for an image, and refuses redirects, non-images, oversized and slow answers', async () => {
    expect(await permissive().fetchAsDataUrl(`${base}/a.png`)).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
    await expect(permissive().fetchAsDataUrl(`${base}/redirect`)).rejects.toThrow(/redirects are not followed/);
    await expect(permissive().fetchAsDataUrl(`${base}/html`)).rejects.toThrow(/not an image/);
    await expect(permissive().fetchAsDataUrl(`${base}/big.png`)).rejects.toThrow(/larger than 1024 bytes/);
    const started = Date.now();
    await expect(permissive().fetchAsDataUrl(`${base}/slow`)).rejects.toThrow(/could not be fetched/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('inlines allowed image URLs in a request and leaves others with a warning', async () => {
    const warnings: string[] = [];
    const request = await permissive().inlineImages(
      {
        model: 'm',
        stream: false,
        includeUsage: false,
        extra: {},
        messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image', url: `${base}/a.png` }, { type: 'image', url: 'https://elsewhere.example/b.png' }] }],
      },
      (w) => warnings.push(w),
    );
    const parts = request.messages[0]!.content as { type: string; url?: string }[];
    expect(parts[1]!.url).toMatch(/^data:image\/png;base64,/);
    expect(parts[2]!.url).toBe('https://elsewhere.example/b.png');
    expect(warnings).toHaveLength(1);
  });
});
