// Starts `autogpt-ls lsp` over stdio with vscode-languageclient, as the python-tools template does: the
// interpreter or command the user set, else the server the extension installs for itself (managedServer.ts).

import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions } from 'vscode-languageclient/node';
import { logChannel } from './log';
import { NotificationProgress } from './progress';
import { managedServer } from './managedServer';
import { Settings, serverLaunch, usesOwnServer } from './settings';

export const API_KEY_SECRET = 'autogpt.openaiApiKey';
const IMAGE = /\.(png|jpe?g|gif|webp)$/i;

/** The client over the server the settings name, else over the extension's own install (undefined, after
 * telling the user why, when that cannot be made). */
export async function createServer(
  settings: Settings,
  context: vscode.ExtensionContext,
): Promise<LanguageClient | undefined> {
  const ownPython = usesOwnServer(settings) ? await managedServer(context) : undefined;
  if (usesOwnServer(settings) && !ownPython) return undefined;
  const launch = serverLaunch(settings, await context.secrets.get(API_KEY_SECRET), ownPython);
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
    // This client renders agent/* itself (without it the server asks with standard LSP prompts instead), and
    // reports the diagnostics an approved edit introduced (diagnosticsFeedback.ts).
    initializationOptions: { agentNotifications: true, diagnosticsFeedback: true },
    middleware: {
      window: {
        // A generated image opens in VS Code's image preview: showTextDocument cannot open a binary file.
        showDocument: async (params, next) => {
          const uri = vscode.Uri.parse(params.uri);
          if (IMAGE.test(uri.path)) {
            await vscode.commands.executeCommand('vscode.open', uri, { preserveFocus: !params.takeFocus, preview: true });
            return { success: true };
          }
          const shown = await next(params, new vscode.CancellationTokenSource().token);
          return 'success' in shown ? shown : { success: false };
        },
      },
    },
  };
  const client = new LanguageClient('autogpt', 'AutoGPT', serverOptions, clientOptions);
  client.registerFeature(new NotificationProgress(client));
  return client;
}
