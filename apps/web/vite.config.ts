import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';

// `vite dev` proxies the API (including the websocket) to a locally running server.
const apiTarget = process.env.MIRADOR_API_URL ?? `http://127.0.0.1:${process.env.MIRADOR_PORT ?? '8080'}`;

export default defineConfig({
  plugins: [tailwindcss(), sveltekit()],
  server: {
    proxy: {
      '/api': { target: apiTarget, ws: true, changeOrigin: false },
    },
  },
  build: { chunkSizeWarningLimit: 800 },
});
