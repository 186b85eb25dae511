// The editor side of serverInstall.ts: find a Python, install with a progress notification, and say clearly why
// when there is no Python or the install fails (then no server starts, and "AutoGPT: Restart Server" retries).

import { mkdir } from 'node:fs/promises';
import * as vscode from 'vscode';
import { log, logChannel } from './log';
import { pythonCandidates } from './python';
import { findPython, install, installed, InstallError, MIN_PYTHON, readBundle, venvDir } from './serverInstall';

let inFlight: Promise<string | undefined> | undefined;

/** The Python of the extension's own server venv, installed first if this version has none; undefined (after
 * telling the user why) when it cannot be. Concurrent callers share one install. */
export function managedServer(context: vscode.ExtensionContext): Promise<string | undefined> {
  inFlight ??= ensure(context).finally(() => (inFlight = undefined));
  return inFlight;
}

async function ensure(context: vscode.ExtensionContext): Promise<string | undefined> {
  const storage = context.globalStorageUri.fsPath;
  const version = String(context.extension.packageJSON.version);
  const bundledDir = context.asAbsolutePath('bundled');
  try {
    const bundle = await readBundle(bundledDir);
    const ready = await installed(venvDir(storage, version), bundle);
    if (ready) return ready;
    const found = await findPython(await pythonCandidates(vscode.workspace.workspaceFolders?.[0]?.uri));
    if (!('python' in found)) return noPython(found.tried);
    log.info(`Installing the AutoGPT server with Python ${found.version} (${found.python}) into ${storage}`);
    await mkdir(storage, { recursive: true });
    const title = 'AutoGPT: installing its server (once per extension version)';
    const python = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title },
      (progress) =>
        install({
          storage,
          extensionVersion: version,
          bundledDir,
          bundle,
          python: found.python,
          report: (message) => progress.report({ message }),
          log: (line) => logChannel().info(line),
        }),
    );
    log.info(`The AutoGPT server is installed: ${python}`);
    return python;
  } catch (e) {
    if (!(e instanceof InstallError)) throw e;
    return failed(e.message);
  }
}

function noPython(tried: string[]): undefined {
  const need = `${MIN_PYTHON.join('.')} or newer`;
  const message =
    `AutoGPT needs Python ${need} to install its server, and found none (tried: ${tried.join(', ')}). ` +
    'Install Python, or set "autogpt.interpreter" to a Python with autogpt-ls installed.';
  log.error(message);
  void vscode.window.showErrorMessage(message, 'Open Settings').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'autogpt.interpreter');
  });
  return undefined;
}

/** The error is shown, not awaited: activation must not wait for the user to close it. */
function failed(reason: string): undefined {
  const message = `AutoGPT could not install its server: ${reason}. The AutoGPT log has pip's output.`;
  log.error(message);
  void vscode.window.showErrorMessage(message, 'Show Log', 'Retry').then((choice) => {
    if (choice === 'Show Log') logChannel().show();
    if (choice === 'Retry') void vscode.commands.executeCommand('autogpt.restartServer');
  });
  return undefined;
}
