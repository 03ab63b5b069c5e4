/**
 * Vite config of the Zerocast UI (renderer/app). Build: `vite build --config renderer/app/vite.config.ts`
 * → app/dist/renderer/ (served by the server at /app/, loaded by the desktop app from its server).
 * Dev: `vite --config renderer/app/vite.config.ts` proxies the API and WHEP to ZEROCAST_SERVER
 * (default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const server = process.env.ZEROCAST_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../app/dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: { '/api': server, '/whep': server },
  },
});
