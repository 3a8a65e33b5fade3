import { Writable } from 'node:stream';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import dimse from 'dcmjs-dimse';
import { transferSyntaxInfo } from '../../dicom/transferSyntax.js';
import { describeThrown, isDrfdsError } from '../../errors/DrfdsError.js';
import type { Intake } from '../intake/Intake.js';
import type { Logger } from '../logger.js';
import { wrapPart10 } from './part10Wrap.js';

const { Scp, Dataset, constants, responses } = dimse;
// dcmjs-dimse logs every PDU at info level to the console; our own structured log says what matters.
dimse.log.setLevel('error');
const { PresentationContextResult, RejectResult, RejectSource, RejectReason, SopClass, Status } = constants;

type DimseDataset = InstanceType<typeof Dataset>;
type DimseStoreRequest = InstanceType<typeof dimse.requests.CStoreRequest>;
type DimseEchoRequest = InstanceType<typeof dimse.requests.CEchoRequest>;
type DimseContext = InstanceType<typeof dimse.association.PresentationContext>;
type DimseAssociation = InstanceType<typeof dimse.association.Association>;

export interface StoreScpOptions {
  readonly host: string;
  readonly port: number;
  readonly aeTitle: string;
  /** Empty = any calling AE. */
  readonly allowedCallingAeTitles: readonly string[];
  readonly maxBytes: number;
  readonly intake: Intake;
  readonly logger: Logger;
}

/** Storage SOP classes are the PS3.4 B.5 arc; everything the reader can render is accepted, the rest refused per image. */
const STORAGE_ARC = '1.2.840.10008.5.1.4.1.1.';

/**
 * Collects the C-STORE data set bytes as they arrive (in the accepted transfer syntax), counting past the size
 * limit without keeping the excess, so an oversize image is refused with a reason instead of exhausting memory.
 */
class CollectingStream extends Writable {
  readonly chunks: Buffer[] = [];
  length = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.length += chunk.length;
    if (this.length <= this.maxBytes) this.chunks.push(chunk);
    callback();
  }
}

interface Received {
  readonly bytes: Buffer | undefined;
  readonly length: number;
  readonly transferSyntaxUid: string;
}

/**
 * The DICOM listener: a C-STORE SCP (and C-ECHO) for PACS and modalities. Associations from calling AE titles
 * outside the allow-list are rejected; each stored image goes through the same intake as an HTTP upload, and the
 * C-STORE success status is sent only after the image is on disk and queued. A refused image gets a failure status
 * (0xC000 "cannot understand", 0xA700 "out of resources" for oversize) with the reason in Error Comment.
 */
export class StoreScp {
  private server: NetServer | undefined;
  private readonly sockets = new Set<Socket>();
  /** The port actually listened on (useful with port 0). */
  port = 0;

  constructor(private readonly options: StoreScpOptions) {}

  start(): Promise<void> {
    const { options } = this;
    const received = new WeakMap<DimseDataset, Received>();
    const streams = new WeakMap<Writable, string>();
    const logger = options.logger;

    class DrfdsScp extends Scp {
      private association: DimseAssociation | undefined;

      constructor(socket: Socket, opts?: Record<string, unknown>) {
        super(socket, opts);
      }

      override associationRequested(association: DimseAssociation): void {
        this.association = association;
        const calling = association.getCallingAeTitle().trim();
        const called = association.getCalledAeTitle().trim();
        if (options.allowedCallingAeTitles.length > 0 && !options.allowedCallingAeTitles.includes(calling)) {
          logger.warn('dimse.association-rejected', { callingAe: calling, reason: 'calling AE title not allowed' });
          this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized);
          return;
        }
        if (called !== options.aeTitle) {
          logger.warn('dimse.association-rejected', { callingAe: calling, calledAe: called, reason: 'called AE title is not ours' });
          this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
          return;
        }
        for (const { id } of association.getPresentationContexts()) {
          const context = association.getPresentationContext(id);
          const abstract = context.getAbstractSyntaxUid();
          if (abstract !== SopClass.Verification && !abstract.startsWith(STORAGE_ARC)) {
            context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
            continue;
          }
          const syntax = context.getTransferSyntaxUids().find((uid) => transferSyntaxInfo(uid) !== undefined);
          if (syntax === undefined) context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
          else context.setResult(PresentationContextResult.Accept, syntax);
        }
        logger.debug('dimse.association-accepted', { callingAe: calling });
        this.sendAssociationAccept();
      }

      override associationReleaseRequested(): void {
        this.sendAssociationReleaseResponse();
      }

      override cEchoRequest(request: DimseEchoRequest, callback: (response: InstanceType<typeof responses.CEchoResponse>) => void): void {
        const response = responses.CEchoResponse.fromRequest(request);
        response.setStatus(Status.Success);
        callback(response);
      }

      override createStoreWritableStream(_context: DimseContext, _request: DimseStoreRequest): Writable {
        const stream = new CollectingStream(options.maxBytes);
        streams.set(stream, _context.getAcceptedTransferSyntaxUid() ?? '');
        return stream;
      }

      override createDatasetFromStoreWritableStream(writable: Writable, context: DimseContext, callback: (dataset: DimseDataset) => void): void {
        const stream = writable as CollectingStream;
        const dataset = new Dataset();
        received.set(dataset, {
          bytes: stream.length <= options.maxBytes ? Buffer.concat(stream.chunks) : undefined,
          length: stream.length,
          transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? streams.get(writable) ?? '',
        });
        callback(dataset);
      }

      override cStoreRequest(request: DimseStoreRequest, callback: (response: InstanceType<typeof responses.CStoreResponse>) => void): void {
        const response = responses.CStoreResponse.fromRequest(request);
        const dataset = request.getDataset();
        const data = dataset === undefined ? undefined : received.get(dataset);
        const calling = this.association?.getCallingAeTitle().trim() ?? '';
        const refuse = (status: number, comment: string): void => {
          response.setStatus(status);
          response.setErrorComment(comment.slice(0, 64));
          logger.warn('dimse.store-refused', { callingAe: calling, status, reason: comment });
          callback(response);
        };
        if (data === undefined) return refuse(Status.ProcessingFailure, 'no data set received');
        if (data.bytes === undefined) return refuse(0xa700, `image of ${data.length} bytes exceeds the limit of ${options.maxBytes}`);
        const part10 = wrapPart10(data.bytes, {
          sopClassUid: request.getAffectedSopClassUid(),
          sopInstanceUid: request.getAffectedSopInstanceUid(),
          transferSyntaxUid: data.transferSyntaxUid,
          sourceAeTitle: calling,
        });
        options.intake.submit(part10, { via: 'c-store', callingAe: calling, submittedBy: `ae:${calling}` }).then(
          () => {
            response.setStatus(Status.Success);
            callback(response);
          },
          (error: unknown) => refuse(0xc000, isDrfdsError(error) ? error.message.replace(/^upload [0-9a-f-]+: /, '') : `internal error: ${describeThrown(error)}`),
        );
      }
    }

    // Our own TCP server (rather than dcmjs-dimse's Server) so we choose the interface and can listen on port 0.
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const scp = new DrfdsScp(socket, {});
      (scp as unknown as { connected: boolean }).connected = true;
      scp.on('networkError', (error: Error) => {
        logger.warn('dimse.network-error', { error: error.message });
        socket.end();
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        const address = server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : options.port;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
