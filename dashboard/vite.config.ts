import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard is built into <repo>/dist/ui and served by the gateway under /ui/ (src/server/ui.ts).
 * `npm run ui:dev` serves it with hot reload and forwards the API to a gateway on 127.0.0.1:8080
 * (SWITCHBOARD_URL overrides it).
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/ui', import.meta.url));
const gateway = process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:8080';

// The Host header is kept as the browser sent it (no changeOrigin): the gateway's CSRF check compares the
// Origin of a change with the Host, and both then name the dev server.
const proxy = {
  '/admin': { target: gateway },
  '/v1': { target: gateway },
};

export default defineConfig({
  root,
  base: '/ui/',
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inlined data: URIs for scripts; everything is a hashed file under assets/.
    assetsInlineLimit: 0,
    // ECharts' core, even with only three chart types registered, is about 580 kB minified (200 kB gzipped).
    chunkSizeWarningLimit: 640,
    rolldownOptions: {
      output: {
        // The libraries change far less often than the app: separate files stay cached across releases.
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender|tslib)[\\/]/ },
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
          ],
        },
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy },
});
