// Starts `autogpt-ls lsp` over stdio with vscode-languageclient, as the python-tools template does.

import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions } from 'vscode-languageclient/node';
import { logChannel } from './log';
import { NotificationProgress } from './progress';
import { Settings, serverLaunch } from './settings';

export const API_KEY_SECRET = 'autogpt.openaiApiKey';

export async function createServer(settings: Settings, secrets: vscode.SecretStorage): Promise<LanguageClient> {
  const launch = serverLaunch(settings, await secrets.get(API_KEY_SECRET));
  logChannel().info(`Starting the server: ${[launch.command, ...launch.args].join(' ')}`);
  const serverOptions: ServerOptions = {
    command: launch.command,
    args: launch.args,
    options: { env: { ...process.env, ...launch.env } },
  };
  const clientOptions: LanguageClientOptions = {
    // Every file buffer, so proposals are computed against unsaved text and approved edits reach it.
    documentSelector: [{ scheme: 'file' }],
    outputChannel: logChannel(),
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // This client renders agent/* itself; without it the server asks with standard LSP prompts instead.
    initializationOptions: { agentNotifications: true },
  };
  const client = new LanguageClient('autogpt', 'AutoGPT', serverOptions, clientOptions);
  client.registerFeature(new NotificationProgress(client));
  return client;
}
