// The one "AutoGPT" output channel: the extension's own lines and the server's window/logMessage.

import * as vscode from 'vscode';

let channel: vscode.LogOutputChannel | undefined;

export function logChannel(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('AutoGPT', { log: true });
  return channel;
}

export const log = {
  info: (message: string) => logChannel().info(message),
  warn: (message: string) => logChannel().warn(message),
  error: (message: string) => logChannel().error(message),
};
