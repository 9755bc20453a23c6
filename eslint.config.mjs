// Lint keeps the folder boundaries of DESIGN.md true: what each folder may import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

const io = ['axios', 'mongoose', 'openai', 'express', 'node:*', 'fs', 'net', 'http', 'https', 'crypto', 'child_process'];
const restrict = (patterns, message) => ['error', { patterns: [{ group: patterns, message }] }];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // No import circles, type-only imports included (a circle of types still ties the files' designs together).
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.d.ts', '.js', '.json'] })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Workflow code is replayed: no I/O, no SDKs, activities as types only (checked by allowTypeImports).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: io, message: 'workflow code must be deterministic: no I/O libraries' },
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'workflows import activity types only' },
            { group: ['**/api/*', '**/worker/*', '**/models/*.model', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'not importable from workflows' },
          ],
        },
      ],
    },
  },
  {
    files: ['core/**/*.ts'],
    ignores: ['core/**/*.test.ts'],
    rules: {
      // Bare module names as exact paths: a pattern 'http' would also match core's own ./http folder.
      'no-restricted-imports': [
        'error',
        {
          paths: io.filter((m) => !m.includes('*')).map((name) => ({ name, message: 'core/ is pure domain logic: no I/O' })),
          patterns: [{ group: ['node:*', '@temporalio/*', '**/activities/*', '**/api/*', '**/worker/*', '**/models/*.model'], message: 'core/ is pure domain logic: no I/O' }],
        },
      ],
    },
  },
  {
    files: ['activities/**/*.ts'],
    rules: { 'no-restricted-imports': restrict(['@temporalio/workflow', '**/workflows/*', '**/api/*', '**/worker/*'], 'activities never import workflow code, api or worker code (shared names and types are in models/)') },
  },
  {
    // The lowest floor: models import no other folder of Parley's.
    files: ['models/**/*.ts'],
    ignores: ['models/*.schema.ts', 'models/limits.ts', 'models/**/*.test.ts'],
    rules: { 'no-restricted-imports': restrict(['**/core/*', '**/activities/*', '**/workflows/*', '**/api/*', '**/worker/*'], 'models/ is the lowest floor: it imports no other folder of Parley') },
  },
  {
    files: ['models/*.schema.ts', 'models/limits.ts'],
    rules: { 'no-restricted-imports': restrict(['mongoose', ...io.filter((m) => m !== 'mongoose'), '**/core/*', '**/activities/*', '**/workflows/*', '**/api/*', '**/worker/*'], 'schemas are shared with workflow code: zod only, and no other folder of Parley') },
  },
  {
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['@temporalio/worker', '@temporalio/activity', '**/activities', '**/activities/*', '**/worker/*', 'axios', 'openai'], 'the API is a thin Temporal client: it never calls activities, tenant APIs or LLMs'),
    },
  },
);
