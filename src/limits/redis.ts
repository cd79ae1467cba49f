import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  BUCKET_MS,
  BUCKETS_IN_WINDOW,
  limitOf,
  nonNegativeInt,
  normaliseCost,
  WINDOW_MS,
  type LimitCost,
  type LimitScope,
  type LimitVerdict,
  type RateLimiter,
} from './rate-limiter.js';

/**
 * The cluster limiter: every replica counts in the same Redis, one atomic Lua script per check.
 *
 * Keys, per (scope, id), both with an expiry so no window key is immortal:
 * - `<prefix><scope>:<id>:rpm` a sorted set, the sliding log of admitted requests: score = Redis server time in
 *   ms, member = a unique id (replica id, call counter, index). PEXPIRE window + 1 s after each admission.
 * - `<prefix><scope>:<id>:tpm` a hash of 1-second buckets: field = server second, value = tokens. PEXPIRE
 *   window + 2 s after each write, so a bucket lives at least as long as it counts.
 *
 * Time is Redis's own (`TIME` inside the script), so replicas with skewed clocks agree. Redis ≥ 5 replicates a
 * script by its effects, which is what allows TIME before writes.
 *
 * All keys of a check are in one script, so a Redis Cluster would need them in one hash slot (a `{…}` hash tag
 * in the prefix puts every limit on one shard); the gateway targets one Redis (or a Sentinel-managed primary).
 */

/** Shared Lua: server time, bucket arithmetic, window pruning and sums. */
const LUA_COMMON = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = ${WINDOW_MS}
local bucketMs = ${BUCKET_MS}
local inWindow = ${BUCKETS_IN_WINDOW}
local bucketNow = math.floor(now / bucketMs)
local oldestBucket = bucketNow - inWindow
local tpmTtl = window + 2 * bucketMs
local rpmTtl = window + bucketMs

-- Removes buckets that left the window; returns the tokens still counted and the buckets, ascending.
local function tokenWindow(key)
  local flat = redis.call('HGETALL', key)
  local used = 0
  local buckets = {}
  local stale = {}
  for i = 1, #flat, 2 do
    local b = tonumber(flat[i])
    local v = tonumber(flat[i + 1])
    if b < oldestBucket then
      stale[#stale + 1] = flat[i]
    else
      used = used + v
      buckets[#buckets + 1] = { b, v }
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  table.sort(buckets, function(x, y) return x[1] < y[1] end)
  return used, buckets
end

local function addTokens(key, tokens)
  redis.call('HINCRBY', key, string.format('%d', bucketNow), tokens)
  redis.call('PEXPIRE', key, tpmTtl)
end
`;

/**
 * KEYS: per scope i, KEYS[2i-1] the RPM sorted set and KEYS[2i] the TPM hash.
 * ARGV: [1] requests, [2] tokens, [3] unique member prefix, then per scope ARGV[3+2i-1] rpm and ARGV[3+2i] tpm
 * (-1 = no limit of that kind).
 * Returns {1} when admitted (and counted in every scope), else {0, scope index (1-based), kind (1 rpm, 2 tpm),
 * limit, retry ms} of the violation with the longest wait (first on ties), having counted nothing.
 */
const CHECK_LUA = `${LUA_COMMON}
local requests = tonumber(ARGV[1])
local tokens = tonumber(ARGV[2])
local member = ARGV[3]
local n = #KEYS / 2
local worst = nil

local function consider(i, kind, limit, retry)
  if worst == nil or retry > worst[4] then worst = { i, kind, limit, retry } end
end

for i = 1, n do
  local rpm = tonumber(ARGV[3 + 2 * i - 1])
  local tpm = tonumber(ARGV[3 + 2 * i])
  if rpm >= 0 then
    local key = KEYS[2 * i - 1]
    -- An entry admitted at s counts while now < s + window.
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    if requests > 0 then
      local count = redis.call('ZCARD', key)
      if count + requests > rpm then
        local retry = window
        if requests <= rpm then
          local idx = count + requests - rpm - 1
          local e = redis.call('ZRANGE', key, idx, idx, 'WITHSCORES')
          if e[2] then retry = tonumber(e[2]) + window - now end
        end
        consider(i, 1, rpm, retry)
      end
    end
  end
  if tpm >= 0 then
    local needed = math.max(tokens, 1)
    local used, buckets = tokenWindow(KEYS[2 * i])
    if used + needed > tpm then
      local retry = window
      if needed <= tpm then
        local excess = used + needed - tpm
        local freed = 0
        for _, bucket in ipairs(buckets) do
          freed = freed + bucket[2]
          if freed >= excess then
            retry = (bucket[1] + inWindow + 1) * bucketMs - now
            break
          end
        end
      end
      consider(i, 2, tpm, retry)
    end
  end
end

if worst ~= nil then return { 0, worst[1], worst[2], worst[3], worst[4] } end

for i = 1, n do
  local rpm = tonumber(ARGV[3 + 2 * i - 1])
  local tpm = tonumber(ARGV[3 + 2 * i])
  if rpm >= 0 and requests > 0 then
    local key = KEYS[2 * i - 1]
    local args = {}
    for j = 1, requests do
      args[#args + 1] = now
      args[#args + 1] = member .. ':' .. j
    end
    redis.call('ZADD', key, unpack(args))
    redis.call('PEXPIRE', key, rpmTtl)
  end
  if tpm >= 0 and tokens > 0 then addTokens(KEYS[2 * i], tokens) end
end
return { 1 }
`;

/**
 * KEYS: the TPM hashes to add to. ARGV: [1] tokens.
 * Adds to the current bucket; prunes only when a hash has grown past two windows of buckets (checks prune anyway).
 */
const ADD_TOKENS_LUA = `${LUA_COMMON}
local tokens = tonumber(ARGV[1])
for i = 1, #KEYS do
  if redis.call('HLEN', KEYS[i]) > 2 * (inWindow + 1) then tokenWindow(KEYS[i]) end
  addTokens(KEYS[i], tokens)
end
return 1
`;

/** The client with the scripts defined on it (ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT). */
interface RateScripts {
  sbRateCheck(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  sbRateAddTokens(numKeys: number, ...args: (string | number)[]): Promise<number>;
}

function scripts(client: Redis): RateScripts {
  return client as unknown as RateScripts;
}

export interface RedisRateLimiterOptions {
  /** A client to use (not closed by `close()` unless `ownsClient`). */
  client: Redis;
  /** Whether `close()` quits the client. Default false. */
  ownsClient?: boolean;
  /** Prefix of every key. Default `sb:rl:`. */
  keyPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'sb:rl:';

export class RedisRateLimiter implements RateLimiter {
  readonly client: Redis;
  readonly keyPrefix: string;
  private readonly ownsClient: boolean;
  private readonly replicaId = randomBytes(6).toString('base64url');
  private calls = 0;

  constructor(options: RedisRateLimiterOptions) {
    this.client = options.client;
    this.ownsClient = options.ownsClient ?? false;
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    defineScripts(this.client);
  }

  /** The Redis keys of a scope (for tests and operators). */
  keysOf(scope: Pick<LimitScope, 'scope' | 'id'>): { rpm: string; tpm: string } {
    const base = `${this.keyPrefix}${scope.scope}:${scope.id}`;
    return { rpm: `${base}:rpm`, tpm: `${base}:tpm` };
  }

  async check(scopes: LimitScope[], rawCost: LimitCost): Promise<LimitVerdict> {
    const cost = normaliseCost(rawCost);
    const limited = scopes.filter((s) => s.rpm !== undefined || s.tpm !== undefined);
    if (limited.length === 0) return { ok: true };
    const keys: string[] = [];
    const limits: number[] = [];
    for (const scope of limited) {
      const k = this.keysOf(scope);
      keys.push(k.rpm, k.tpm);
      limits.push(limitOf(scope.rpm, `${scope.scope} ${scope.id} rpm`) ?? -1, limitOf(scope.tpm, `${scope.scope} ${scope.id} tpm`) ?? -1);
    }
    const member = `${this.replicaId}:${++this.calls}`;
    const reply = await scripts(this.client).sbRateCheck(keys.length, ...keys, cost.requests, cost.tokens, member, ...limits);
    if (reply[0] === 1) return { ok: true };
    const [, index, kind, limit, retryMs] = reply.map(Number) as [number, number, number, number, number];
    const scope = limited[index - 1];
    if (!scope) throw new Error(`rate limit script answered an unknown scope index ${index}`);
    return { ok: false, scope, kind: kind === 1 ? 'rpm' : 'tpm', limit, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)) };
  }

  async addTokens(scopes: LimitScope[], rawTokens: number): Promise<void> {
    const tokens = nonNegativeInt(rawTokens, 'tokens');
    if (tokens === 0) return;
    const keys = scopes.filter((s) => s.tpm !== undefined).map((s) => this.keysOf(s).tpm);
    if (keys.length === 0) return;
    await scripts(this.client).sbRateAddTokens(keys.length, ...keys, tokens);
  }

  async close(): Promise<void> {
    if (this.ownsClient) await quitClient(this.client);
  }
}

export function defineScripts(client: Redis): void {
  if (typeof (client as unknown as Partial<RateScripts>).sbRateCheck === 'function') return;
  client.defineCommand('sbRateCheck', { lua: CHECK_LUA });
  client.defineCommand('sbRateAddTokens', { lua: ADD_TOKENS_LUA });
}

/**
 * Waits until the client is ready (true) or the timeout passes (false). A fail-fast client refuses commands
 * until it is ready, so start-up awaits this before counting on Redis.
 */
export async function whenReady(client: Redis, timeoutMs = 2000): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

/** QUIT when connected (bounded), else drop the socket: never waits on a dead server. */
export async function quitClient(client: Redis, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } catch {
    // fall through to disconnect
  } finally {
    if (timer) clearTimeout(timer);
    client.disconnect();
  }
}
