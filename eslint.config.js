// Lint: strict TypeScript, no `any`, no console, and import boundaries between folders.
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/web/public/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // Media is packets only: it never imports SIP, SDP text code, signaling or the app.
  {
    files: ['src/media/**/*.ts'],
    rules: restrict(['**/sip/**', '**/sdp/**', '**/drachtio/**', '**/app/**', '**/session/**', 'sdp-transform', 'drachtio-srf'],
      'src/media is packets only: no SIP, SDP text, signaling or app imports.'),
  },
  // The native addon's loader and UDP pump serve media and SIP alike: they import neither.
  {
    files: ['src/native/**/*.ts'],
    rules: restrict(['**/media/**', '**/sip/**', '**/sdp/**', '**/drachtio/**', '**/app/**', '**/session/**'],
      'src/native is the addon loader and packet pump shared by media and sip: it imports neither.'),
  },
  // Signaling never imports media.
  {
    files: ['src/sip/**/*.ts', 'src/drachtio/**/*.ts'],
    rules: restrict(['**/media/**', '**/app/**', '**/session/**', 'werift', '@evan/opus'],
      'signaling (sip, drachtio) never imports media or the app.'),
  },
  // The SDP core is pure: no I/O, no media, no signaling.
  {
    files: ['src/sdp/**/*.ts'],
    rules: restrict(['**/media/**', '**/sip/**', '**/drachtio/**', '**/app/**', 'node:net', 'node:dgram', 'node:fs', 'werift'],
      'src/sdp is pure functions: no I/O, media or signaling imports.'),
  },
  // The app reaches media only through session/.
  {
    files: ['src/app/**/*.ts'],
    rules: restrict(['**/media/**', 'werift', '**/sip/**', '**/drachtio/**'],
      'src/app is a drachtio-srf application: it reaches media only through src/session.'),
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/cli/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
