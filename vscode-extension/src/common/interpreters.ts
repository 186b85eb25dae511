// Which Pythons may make the server's venv, in order: the interpreter the user picked in the Python extension for
// this workspace, then python3 and python on PATH (py and python on Windows). No vscode import, so it is unit
// tested; python.ts asks the Python extension.

/** The parts of the Python extension's API (@vscode/python-extension's `environments`) read here. */
export interface Environments<Resource> {
  getActiveEnvironmentPath(resource?: Resource): { id: string; path: string };
  resolveEnvironment(
    environment: { id: string; path: string },
  ): Promise<{ executable: { uri?: { fsPath: string } } } | undefined>;
}

/** The executable of the environment the Python extension has active for `resource`; undefined when it cannot
 * say (an environment that no longer resolves, or one with no executable). */
export async function activeInterpreter<R>(environments: Environments<R>, resource?: R): Promise<string | undefined> {
  const environment = await environments.resolveEnvironment(environments.getActiveEnvironmentPath(resource));
  return environment?.executable.uri?.fsPath || undefined;
}

/** The candidates to try, the Python extension's interpreter (when there is one) first. */
export function candidates(fromExtension: string | undefined, platform: NodeJS.Platform = process.platform): string[] {
  const onPath = platform === 'win32' ? ['py', 'python'] : ['python3', 'python'];
  return [...new Set([...(fromExtension ? [fromExtension] : []), ...onPath])];
}
