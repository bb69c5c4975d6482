#!/usr/bin/env node
// Builds the agents' console (agent-console → agent-console/dist, served at /console/) when its sources are newer
// than the last build. Runs before `npm start` (prestart), so a fresh checkout serves the console with no extra
// command, and from the browser tests' setup. `--force` builds regardless.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const consoleDir = path.join(root, 'agent-console');
const built = path.join(consoleDir, 'dist', 'index.html');

/** The newest modification time among the files the build reads. */
function newest(entry) {
  if (!existsSync(entry)) return 0;
  const st = statSync(entry);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(entry).reduce((max, name) => Math.max(max, newest(path.join(entry, name))), st.mtimeMs);
}

const sources = [
  path.join(consoleDir, 'src'),
  path.join(consoleDir, 'index.html'),
  path.join(consoleDir, 'vite.config.mts'),
  path.join(root, 'server', 'realtime', 'contract.ts'),
  path.join(root, 'channels', 'contract.ts'),
  path.join(root, 'package-lock.json'),
];

const force = process.argv.includes('--force');
const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
const sourcesAt = Math.max(...sources.map(newest));
if (!force && builtAt > sourcesAt) {
  process.stdout.write('console: agent-console/dist is up to date\n');
  process.exit(0);
}

const { build } = await import('vite');
process.stdout.write('console: building agent-console → agent-console/dist …\n');
await build({ configFile: path.join(consoleDir, 'vite.config.mts'), logLevel: 'warn' });
process.stdout.write('console: built\n');
