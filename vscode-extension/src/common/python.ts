// The Python extension's interpreter for this workspace, when that extension is installed (the interpreter the
// user picked there), as the first Python that may make the server's venv (common/interpreters.ts orders them).

import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import { activeInterpreter, candidates } from './interpreters';
import { log } from './log';

const PYTHON_EXTENSION = 'ms-python.python';

export async function pythonCandidates(resource?: vscode.Uri): Promise<string[]> {
  return candidates(await pythonExtensionInterpreter(resource));
}

async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PYTHON_EXTENSION)) return undefined;
  try {
    return await activeInterpreter((await PythonExtension.api()).environments, resource);
  } catch (e) {
    log.warn(`The Python extension gave no interpreter: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}
