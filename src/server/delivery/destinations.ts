import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import dimse from 'dcmjs-dimse';
import type { DestinationConfig } from '../config.js';

/** One PACS destination: sends one Part 10 file; resolves when the PACS confirmed storage, rejects with the reason. */
export interface Destination {
  readonly name: string;
  send(path: string, object: { readonly sopClassUid: string; readonly sopInstanceUid: string }): Promise<void>;
}

/** C-STORE SCU (dcmjs-dimse): one association per object, success or warning statuses count as stored (PS3.4 B.2.3). */
export function dimseDestination(config: Extract<DestinationConfig, { type: 'dimse' }>, defaultCallingAe: string): Destination {
  const { Client, requests, constants } = dimse;
  return {
    name: config.name,
    send: (path) =>
      new Promise<void>((resolve, reject) => {
        const client = new Client();
        const request = new requests.CStoreRequest(path);
        let status: number | undefined;
        let comment = '';
        request.on('response', (response) => {
          status = response.getStatus();
          comment = response.getErrorComment() ?? '';
        });
        client.addRequest(request);
        client.on('networkError', (error: Error) => reject(new Error(`${config.name} (${config.host}:${config.port}): ${error.message}`)));
        client.on('associationRejected', (result: { reason?: number }) => reject(new Error(`${config.name}: association rejected by ${config.calledAeTitle} (reason ${result.reason ?? '?'})`)));
        client.on('closed', () => {
          if (status === undefined) reject(new Error(`${config.name}: the association closed without a C-STORE response`));
          else if (status === constants.Status.Success || (status & 0xf000) === 0xb000) resolve();
          else reject(new Error(`${config.name}: C-STORE failed with status 0x${status.toString(16).padStart(4, '0')}${comment === '' ? '' : ` (${comment})`}`));
        });
        const timeout = config.timeoutMs ?? 30_000;
        client.send(config.host, config.port, config.callingAeTitle ?? defaultCallingAe, config.calledAeTitle, {
          connectTimeout: timeout, associationTimeout: timeout, pduTimeout: timeout,
        });
      }),
  };
}

/** STOW-RS (PS3.18 10.5): POST multipart/related; type="application/dicom" to …/studies; 200 (or 202 without failures) is stored. */
export function stowDestination(config: Extract<DestinationConfig, { type: 'stow-rs' }>): Destination {
  return {
    name: config.name,
    async send(path, object) {
      const boundary = `drfds-${randomBytes(12).toString('hex')}`;
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
        readFileSync(path),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      let response: Response;
      try {
        response = await fetch(config.url, {
          method: 'POST',
          headers: { ...config.headers, 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' },
          body,
          signal: AbortSignal.timeout(config.timeoutMs ?? 30_000),
        });
      } catch (error) {
        throw new Error(`${config.name} (${config.url}): ${(error as Error).message}`);
      }
      const text = await response.text();
      if (response.status !== 200 && response.status !== 202) throw new Error(`${config.name}: STOW-RS answered HTTP ${response.status}: ${text.slice(0, 300)}`);
      // A 200/202 may still list the instance in Failed SOP Sequence (0008,1198), with a Failure Reason (0008,1197).
      let failed: Array<Record<string, { Value?: unknown[] }>> = [];
      try {
        const json = JSON.parse(text) as Record<string, { Value?: unknown[] }>;
        failed = (json['00081198']?.Value ?? []) as typeof failed;
      } catch {
        // not JSON (some PACS answer XML or nothing): the HTTP status is the verdict
      }
      if (failed.length > 0) {
        const reason = failed[0]?.['00081197']?.Value?.[0];
        throw new Error(`${config.name}: STOW-RS refused ${object.sopInstanceUid}${typeof reason === 'number' ? ` (failure reason 0x${reason.toString(16)})` : ''}`);
      }
    },
  };
}

export function createDestination(config: DestinationConfig, callingAe: string): Destination {
  return config.type === 'dimse' ? dimseDestination(config, callingAe) : stowDestination(config);
}
