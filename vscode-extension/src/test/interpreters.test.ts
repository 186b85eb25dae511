// The Python extension (ms-python.python) cannot be installed here (no extension marketplace is reachable), so its
// API is stood in for by an object of the shape @vscode/python-extension declares; the Python it names is real.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { activeInterpreter, candidates, Environments } from '../common/interpreters';
import { findPython } from '../common/serverInstall';

type Resource = { folder: string };

/** The Python extension's environments: `active` per workspace folder, resolved to an executable (or not). */
function environments(active: Record<string, string>, executables: Record<string, string | undefined>) {
  const asked: (Resource | undefined)[] = [];
  const api: Environments<Resource> = {
    getActiveEnvironmentPath: (resource) => {
      asked.push(resource);
      const path = active[resource?.folder ?? ''] ?? '/usr/bin/python3';
      return { id: path, path };
    },
    resolveEnvironment: async ({ path }) => {
      if (!(path in executables)) return undefined;
      const fsPath = executables[path];
      return { executable: { uri: fsPath ? { fsPath } : undefined } };
    },
  };
  return { api, asked };
}

test("the Python extension's interpreter for the workspace comes first, then python3 and python", async () => {
  const { api, asked } = environments({ '/ws': '/ws/.venv' }, { '/ws/.venv': '/ws/.venv/bin/python' });
  const found = await activeInterpreter(api, { folder: '/ws' });
  assert.equal(found, '/ws/.venv/bin/python');
  assert.deepEqual(asked, [{ folder: '/ws' }]);
  assert.deepEqual(candidates(found, 'linux'), ['/ws/.venv/bin/python', 'python3', 'python']);
  assert.deepEqual(candidates(undefined, 'linux'), ['python3', 'python']);
  assert.deepEqual(candidates('python3', 'linux'), ['python3', 'python']); // once
  assert.deepEqual(candidates(undefined, 'win32'), ['py', 'python']);
});

test('an environment that no longer resolves, or has no executable, names no interpreter', async () => {
  const { api } = environments({ '/gone': '/gone/.venv', '/odd': '/odd/env' }, { '/odd/env': undefined });
  assert.equal(await activeInterpreter(api, { folder: '/gone' }), undefined);
  assert.equal(await activeInterpreter(api, { folder: '/odd' }), undefined);
});

test("the extension's interpreter is used when it is recent enough, else the next candidate", async () => {
  // the machine's real Python, by its absolute path as the Python extension names an environment's executable
  const executable = execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();
  const real = await findPython(candidates(executable));
  assert.ok('python' in real && real.python === executable, JSON.stringify(real));
  // an environment deleted since the user picked it does not run: python3 from PATH makes the venv
  const broken = await findPython(candidates('/ws/.venv-deleted/bin/python'));
  assert.ok('python' in broken && broken.python === 'python3', JSON.stringify(broken));
});
