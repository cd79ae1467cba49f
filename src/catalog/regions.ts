/**
 * Country rules shared by the catalogue CLI and (later) the sovereignty policies. Codes are ISO 3166-1 alpha-2;
 * the pseudo-code `EU` stands for every member state of the European Union.
 */

/** The 27 EU member states (ISO 3166-1 alpha-2; Greece is GR, not the EU's own "EL"). */
export const EU_MEMBERS: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE',
  'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE',
]);

/**
 * Whether a country code satisfies a rule. A rule is a country code (matches itself) or `EU` (matches every member
 * state, and a fact recorded as plain `EU`). Case-insensitive. A rule naming one member state does not match `EU`:
 * "somewhere in the EU" does not say which state.
 */
export function matchesCountry(rule: string, code: string): boolean {
  const r = rule.trim().toUpperCase();
  const c = code.trim().toUpperCase();
  if (r === c) return true;
  return r === 'EU' && EU_MEMBERS.has(c);
}
