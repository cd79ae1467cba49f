import { readFileSync } from 'node:fs';
import { parseCatalogue, type Catalogue } from '../../src/catalog/catalogue.js';

/** The hand-made test catalogue (test/fixtures/catalog/mini.yaml). */
export function miniCatalogue(): Catalogue {
  const path = new URL('../fixtures/catalog/mini.yaml', import.meta.url);
  return parseCatalogue(readFileSync(path, 'utf8'), 'mini.yaml');
}
