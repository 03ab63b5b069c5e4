// ESLint flat config: typescript-eslint recommended rules over every TypeScript file; warnings fail CI.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'native/gpu/target/**',
      'native/encode/build/**',
      'dist/**',
      '.cache/**',
      '.device/**',
      'e2e/artifacts/**',
      'app/dist/**',
      'app/native/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  { files: ['renderer/app/**/*.{ts,tsx}'], ...reactHooks.configs.flat['recommended-latest'] },
);
