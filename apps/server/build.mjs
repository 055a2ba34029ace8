// Bundles the server and the workspace packages it imports (TypeScript sources) into dist/;
// npm dependencies stay external and are loaded from node_modules at run time.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

// Every bare import except our own packages stays external; it must then be a dependency of
// this package, or Node won't find it next to dist/ (pnpm does not hoist).
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@mirador/') || args.path.startsWith('node:')) return undefined;
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (!pkg.dependencies[name] && !isBuiltin(name)) {
        return { errors: [{ text: `${name} is imported but is not a dependency of @mirador/server` }] };
      }
      return { external: true };
    });
  },
};

await build({
  entryPoints: ['src/server.ts'],
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  plugins: [externalPackages],
  banner: { js: "import { createRequire as __mirador_cr } from 'node:module'; const require = __mirador_cr(import.meta.url);" },
  logLevel: 'warning',
});
console.log('built apps/server/dist/server.js');
