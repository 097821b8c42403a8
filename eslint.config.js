// Lint: typescript-eslint type-checked rules plus the import rules of ARCHITECTURE.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', '.bench-out/**', 'node_modules/**', 'tf-data/**', 'tf-lab/**', '**/testdata/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/require-await': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
  // Import rules (ARCHITECTURE.md "Import rules").
  { files: ['src/bgp/wire/**/*.ts'], rules: restrict(['../*', '!./*', '../../*'], 'bgp/wire is pure: it imports nothing of ours outside bgp/wire') },
  { files: ['src/bgp/rib/**/*.ts'], rules: restrict(['../fsm/*', '../speaker*', '../../*'], 'bgp/rib may import only bgp/wire') },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/datapath/**', 'src/lab/**', 'src/bgp/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'node:child_process', message: 'only src/datapath/ (and the lab harness) spawns processes' },
          { name: 'child_process', message: 'only src/datapath/ (and the lab harness) spawns processes' },
        ],
        patterns: [{ group: ['**/lab/*', '**/lab'], message: 'only lab/ may import lab/' }],
      }],
    },
  },
  {
    files: ['src/bgp/**/*.ts'],
    ignores: ['src/bgp/wire/**', 'src/bgp/rib/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'node:child_process', message: 'only src/datapath/ spawns processes' }],
        patterns: [{ group: ['**/lab/*', '**/lab'], message: 'only lab/ may import lab/' }],
      }],
    },
  },
  {
    files: ['src/datapath/**/*.ts'],
    rules: restrict(['**/lab/*', '**/lab'], 'only lab/ may import lab/'),
  },
);
