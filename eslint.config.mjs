// Lint keeps the folder boundaries of DESIGN.md true: what each folder may import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    rules: { 'no-restricted-imports': restrict(['@temporalio/workflow', '**/api/*', '**/worker/*'], 'activities never import workflow runtime, api or worker code') },
  },
  {
    files: ['models/*.schema.ts', 'models/limits.ts'],
    rules: { 'no-restricted-imports': restrict(['mongoose', ...io.filter((m) => m !== 'mongoose')], 'schemas are shared with workflow code: zod only') },
  },
  {
    files: ['api/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(['@temporalio/worker', '@temporalio/activity', '**/activities', '**/activities/*', '**/worker/*', 'axios', 'openai'], 'the API is a thin Temporal client: it never calls activities, tenant APIs or LLMs'),
    },
  },
);
