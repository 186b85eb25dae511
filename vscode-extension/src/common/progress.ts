// Work-done progress as cancellable notifications. vscode-languageclient shows server progress in the status bar,
// where it cannot be cancelled; this feature, registered last, takes over window/workDoneProgress/create.

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
    let finish = () => {};
    const subscription = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === 'begin') {
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: value.title, cancellable: value.cancellable },
          (progress, cancelled) => {
            report = progress;
            cancelled.onCancellationRequested(() =>
              this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token }),
            );
            return new Promise<void>((resolve) => (finish = resolve));
          },
        );
      } else if (value.kind === 'report') {
        report?.report({ message: value.message });
      } else {
        this.end(token);
      }
    });
    this.active.set(token, () => {
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
