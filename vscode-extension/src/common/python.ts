// Which Pythons may make the server's venv: the Python extension's interpreter for this workspace when that
// extension is installed (the interpreter the user picked there), then python3 and python on PATH.

import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import { log } from './log';

const PYTHON_EXTENSION = 'ms-python.python';

export async function pythonCandidates(resource?: vscode.Uri): Promise<string[]> {
  const fromExtension = await pythonExtensionInterpreter(resource);
  const onPath = process.platform === 'win32' ? ['py', 'python'] : ['python3', 'python'];
  return [...(fromExtension ? [fromExtension] : []), ...onPath];
}

async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION)) return undefined;
  try {
    const api = await PythonExtension.api();
    const environment = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(resource));
    return environment?.executable.uri?.fsPath;
  } catch (e) {
    log.warn(`The Python extension gave no interpreter: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}
