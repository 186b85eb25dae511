// Work-done progress as cancellable notifications. vscode-languageclient shows server progress in the status bar,
// where it cannot be cancelled; this feature, registered last, takes over window/workDoneProgress/create.
// A notification shows only for work still running after SHOW_AFTER_MS: VS Code drops any toast past the third
// added within 800 ms (its spam protection), so a burst of quick LLM calls (a critique, then the revision) would
// otherwise hide the toast that matters, the proposal waiting for the user, in the notification centre.

import * as vscode from 'vscode';
import {
  BaseLanguageClient,
  ClientCapabilities,
  FeatureState,
  ProgressToken,
  StaticFeature,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateParams,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageclient/node';

const SHOW_AFTER_MS = 1000;

export class NotificationProgress implements StaticFeature {
  private readonly active = new Map<ProgressToken, () => void>();

  constructor(private readonly client: BaseLanguageClient) {}

  getState(): FeatureState {
    return { kind: 'static' };
  }

  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, (params) => this.create(params));
  }

  private create({ token }: WorkDoneProgressCreateParams): void {
    let report: vscode.Progress<{ message?: string }> | undefined;
    let message: string | undefined; // the latest, for a notification that shows after it came
    let finish = () => {};
    let timer: ReturnType<typeof setTimeout> | undefined;
    const show = (title: string, cancellable?: boolean) =>
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable },
        (progress, cancelled) => {
          report = progress;
          if (message) progress.report({ message });
          cancelled.onCancellationRequested(() =>
            this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token }),
          );
          return new Promise<void>((resolve) => (finish = resolve));
        },
      );
    const subscription = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'begin') {
        timer = setTimeout(() => show(value.title, value.cancellable), SHOW_AFTER_MS);
      } else if (value.kind === 'report') {
        message = value.message;
        report?.report({ message });
      } else {
        this.end(token);
      }
    });
    this.active.set(token, () => {
      clearTimeout(timer);
      subscription.dispose();
      finish();
    });
  }

  private end(token: ProgressToken): void {
    this.active.get(token)?.();
    this.active.delete(token);
  }

  /** StaticFeature's: the client calls it when it stops (a restart), so no progress outlives its server. */
  clear(): void {
    for (const token of [...this.active.keys()]) this.end(token);
  }
}
