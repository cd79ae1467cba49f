import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/**', 'coverage/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
      'eqeqeq': ['error', 'smart'],
    },
  },
  {
    // The canonical layer is the one internal language: it imports nothing of the project.
    files: ['src/canonical/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '!./*'], message: 'canonical/ imports nothing else' }] }],
    },
  },
  {
    // Providers speak to upstreams only: no HTTP framework, no surfaces.
    files: ['src/providers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['fastify'], patterns: [{ group: ['**/surfaces/**', '**/server/**'], message: 'providers never import surfaces or the server' }] }],
    },
  },
  {
    files: ['src/surfaces/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/providers/**'], message: 'surfaces never import providers' }] }],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'bin/**/*.js', 'test/**/*.ts', 'src/sim/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The dashboard runs in the browser (its Vite and Vitest configs, in Node, keep the Node globals).
    files: ['dashboard/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
