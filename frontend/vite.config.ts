/// <reference types="vitest/config" />
// Vite build of the one-map viewer. The output in dist/ is embedded in the yitu binary (embed.go) and
// served under /map/. CesiumJS is not bundled: its prebuilt Build/Cesium is copied to
// dist/cesium/<version>/ and loaded on demand when the 3D view opens, so the 2D first view stays lean.
import { defineConfig, type Plugin } from 'vite';
import { cpSync, createReadStream, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

const base = '/map/';
const cesiumVersion: string = JSON.parse(readFileSync('node_modules/cesium/package.json', 'utf8')).version;
const cesiumBuild = 'node_modules/cesium/Build/Cesium';
const cesiumPath = `cesium/${cesiumVersion}/`;
// What the browser needs of Build/Cesium: the script, its workers, assets, widgets' CSS and third-party wasm.
const cesiumParts = ['Cesium.js', 'Workers', 'Assets', 'ThirdParty', 'Widgets'];

// dist/.gitkeep is committed so that a fresh clone compiles (//go:embed needs the folder); Vite's own
// emptyOutDir would delete it, so this plugin empties dist/ except for that file.
function cleanDist(): Plugin {
  return {
    name: 'yitu-clean-dist',
    apply: 'build',
    buildStart() {
      if (!existsSync('dist')) return;
      for (const f of readdirSync('dist')) {
        if (f !== '.gitkeep') rmSync(join('dist', f), { recursive: true, force: true });
      }
    },
  };
}

const types: Record<string, string> = {
  '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml', '.xml': 'application/xml', '.ktx2': 'image/ktx2',
};

// Cesium's prebuilt files: copied into dist/ on build, served from node_modules by the dev server.
function cesium(): Plugin {
  return {
    name: 'yitu-cesium',
    configureServer(server) {
      const prefix = base + cesiumPath;
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        if (!url.startsWith(prefix)) return next();
        const file = normalize(join(cesiumBuild, decodeURIComponent(url.slice(prefix.length))));
        if (!file.startsWith(normalize(cesiumBuild) + sep) || !existsSync(file) || !statSync(file).isFile()) return next();
        res.setHeader('Content-Type', types[extname(file)] ?? 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
    closeBundle() {
      for (const part of cesiumParts) {
        cpSync(join(cesiumBuild, part), join('dist', cesiumPath, part), { recursive: true });
      }
    },
  };
}

// Text files are gzipped at build time (name.gz beside name), so that the server sends them compressed
// from the first request without spending CPU on it.
const compressible = new Set(['.js', '.mjs', '.css', '.html', '.json', '.svg', '.wasm', '.xml', '.txt']);
function precompress(): Plugin {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  return {
    name: 'yitu-precompress',
    apply: 'build',
    enforce: 'post',
    closeBundle: {
      order: 'post',
      handler() {
        for (const f of walk('dist')) {
          if (!compressible.has(extname(f))) continue;
          const body = readFileSync(f);
          if (body.length < 1024) continue;
          const gz = gzipSync(body, { level: 9 });
          if (gz.length < body.length * 0.9) writeFileSync(f + '.gz', gz);
        }
      },
    },
  };
}

export default defineConfig({
  base,
  define: { __CESIUM_PATH__: JSON.stringify(cesiumPath) },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    assetsInlineLimit: 0,
    // maplibre-gl is one large module; it is split into its own chunk below and cached for a year.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/maplibre-gl')) return 'maplibre';
          // The cockpit's charts (the cockpit is loaded on demand, never by the map's first view).
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts';
          if (id.includes('/src/cockpit/')) return 'cockpit';
          return undefined;
        },
      },
    },
  },
  plugins: [cleanDist(), cesium(), precompress()],
  server: {
    // `npm run dev` against a running `yitu serve` (make run): the API comes from there.
    proxy: Object.fromEntries(
      ['/catalog', '/tiles', '/styles', '/fonts', '/sprites', '/collections', '/search', '/identify', '/events', '/3dtiles', '/live', '/command', '/auth']
        .map((p) => [p, { target: process.env.YITU_URL ?? 'http://127.0.0.1:8080', changeOrigin: false }]),
    ),
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
