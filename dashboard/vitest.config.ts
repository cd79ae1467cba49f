import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Unit tests of the dashboard's pure modules (formatting, series shaping, the API client), run in Node. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
