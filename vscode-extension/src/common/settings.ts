// The extension's settings. Everything here widens what runs without asking or decides where prompts and keys
// go, so only the user's own (global) value counts: a cloned repository's .vscode/settings.json is ignored even
// if VS Code were to offer it. Secrets never come from settings (SecretStorage or the user's .env).

import type { EditorContextParams, RunParams } from './protocol';

export type Executor = 'auto' | 'local' | 'docker' | 'devcontainer';

export interface Settings {
  interpreter: string;
  serverCommand: string[];
  smartLlm: string;
  fastLlm: string;
  continuous: boolean;
  continuousLimit: number;
  executor: Executor;
  stageChanges: boolean;
  openaiBaseUrl: string;
  envFile: string;
  speak: boolean;
}

export const DEFAULTS: Settings = {
  interpreter: '',
  serverCommand: [],
  smartLlm: '',
  fastLlm: '',
  continuous: false,
  continuousLimit: 10,
  executor: 'auto',
  stageChanges: false,
  openaiBaseUrl: '',
  envFile: '',
  speak: false,
};

/** The shape of vscode.WorkspaceConfiguration.inspect's answer that matters here. */
export interface Inspected<T> {
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

export type Inspect = <T>(key: string) => Inspected<T> | undefined;

/** Each setting from the user's settings only, checked against its type; anything else is the default. */
export function resolveSettings(inspect: Inspect): Settings {
  const pick = <K extends keyof Settings>(key: K, valid: (v: unknown) => boolean): Settings[K] => {
    const value = inspect<Settings[K]>(key)?.globalValue;
    return value !== undefined && valid(value) ? value : DEFAULTS[key];
  };
  const isString = (v: unknown) => typeof v === 'string';
  return {
    interpreter: pick('interpreter', isString),
    serverCommand: pick('serverCommand', (v) => Array.isArray(v) && v.every(isString)),
    smartLlm: pick('smartLlm', isString),
    fastLlm: pick('fastLlm', isString),
    continuous: pick('continuous', (v) => typeof v === 'boolean'),
    continuousLimit: pick('continuousLimit', (v) => Number.isInteger(v) && (v as number) >= 1),
    executor: pick('executor', (v) => v === 'auto' || v === 'local' || v === 'docker' || v === 'devcontainer'),
    stageChanges: pick('stageChanges', (v) => typeof v === 'boolean'),
    openaiBaseUrl: pick('openaiBaseUrl', isString),
    envFile: pick('envFile', isString),
    speak: pick('speak', (v) => typeof v === 'boolean'),
  };
}

/** Settings a workspace tried to set; they are ignored, and the log says so. */
export function ignoredWorkspaceSettings(inspect: Inspect): string[] {
  return (Object.keys(DEFAULTS) as (keyof Settings)[]).filter((key) => {
    const found = inspect(key);
    return found?.workspaceValue !== undefined || found?.workspaceFolderValue !== undefined;
  });
}

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Whether the user chose how the server starts; if not, the extension's own install runs it (serverInstall.ts). */
export function usesOwnServer(settings: Settings): boolean {
  return settings.serverCommand.length === 0 && !settings.interpreter;
}

/** How to start `autogpt-ls lsp` (`ownPython`: the extension's own venv), and the environment added to the
 * editor's own. */
export function serverLaunch(settings: Settings, apiKey: string | undefined, ownPython = ''): Launch {
  const [command, ...args] =
    settings.serverCommand.length > 0
      ? settings.serverCommand
      : [settings.interpreter || ownPython, '-m', 'autogpt_ls', 'lsp'];
  const env: Record<string, string> = {};
  if (settings.openaiBaseUrl) env.OPENAI_BASE_URL = settings.openaiBaseUrl;
  if (settings.envFile) env.AUTOGPT_ENV_FILE = settings.envFile;
  if (settings.executor !== 'auto') env.EXECUTOR = settings.executor;
  if (apiKey) env.OPENAI_API_KEY = apiKey;
  return { command, args, env };
}

/** agent/run's parameters: the goal and the editor context the user kept, plus the models, continuous mode and
 * staging the user chose. */
export function runParams(
  goal: string,
  settings: Settings,
  workspaceFolder?: string,
  context?: EditorContextParams,
): RunParams {
  return {
    goal,
    ...(workspaceFolder && { workspaceFolder }),
    ...(context && { context }),
    ...(settings.smartLlm && { smartLlm: settings.smartLlm }),
    ...(settings.fastLlm && { fastLlm: settings.fastLlm }),
    ...(settings.continuous && { continuous: true, continuousLimit: settings.continuousLimit }),
    ...(settings.stageChanges && { stageChanges: true }),
  };
}
