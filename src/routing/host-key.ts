/** Host keys: a provider serving one upstream model, as health, planner and executor name it. */

const SEPARATOR = '\u0000';

/** The key of a host: a provider serving one upstream model. */
export function hostKey(providerId: string, upstreamModel: string): string {
  return `${providerId}${SEPARATOR}${upstreamModel}`;
}

/** The provider part of a host key (the whole key if it has no separator). */
export function providerOfKey(key: string): string {
  const i = key.indexOf(SEPARATOR);
  return i === -1 ? key : key.slice(0, i);
}
