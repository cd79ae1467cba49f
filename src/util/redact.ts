/**
 * Removes secrets from text that may reach a client, a log or the ledger: the exact values the gateway
 * knows (provider keys, the admin key) and anything shaped like a credential. Masking "all but the first
 * five characters" is not enough (LiteLLM CVE-2024-9606): a recognisable part of a key is still a leak.
 */
const CREDENTIAL_SHAPES: RegExp[] = [
  /\b(?:sk|pk|rk|sess)-[A-Za-z0-9_-]{6,}[A-Za-z0-9_*.-]*/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  /\b(?:api[_-]?key|token|secret|password)\s*[=:]\s*["']?[^\s"',;]{6,}/gi,
];

export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string> = []) {
    // Longest first, so a key that contains another is removed whole.
    this.secrets = [...new Set([...secrets].filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    }
    for (const shape of CREDENTIAL_SHAPES) out = out.replace(shape, '[redacted]');
    return out;
  }

  withSecrets(more: Iterable<string>): Redactor {
    return new Redactor([...this.secrets, ...more]);
  }
}
