/**
 * A worker thread of `drfds predict`: its own hash-checked detector and onnxruntime session, reading and detecting
 * the images the main thread sends, one at a time. Messages: see PredictWorkerRequest / PredictWorkerReply.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeThrown } from '../errors/DrfdsError.js';
import { createDetector } from './Detector.js';
import { detectFile } from './detectFile.js';
import type { PredictWorkerReply, PredictWorkerRequest, PredictWorkerSetup } from './predictProtocol.js';

const port = parentPort;
if (port === null) throw new Error('predictWorker must run in a worker thread');
const setup = workerData as PredictWorkerSetup;
const send = (reply: PredictWorkerReply): void => port.postMessage(reply);

try {
  const detector = await createDetector(setup.modelDir, { intraOpNumThreads: setup.threads });
  send({ type: 'ready', model: detector.model });
  port.on('message', (request: PredictWorkerRequest) => {
    if (request.type === 'stop') {
      void detector.release().finally(() => port.close());
      return;
    }
    detectFile(detector, request.path).then(
      ({ candidates, result }) =>
        send({
          type: 'done',
          imageId: request.imageId,
          boxes: candidates.map((c) => ({ x1: c.box.x1, y1: c.box.y1, x2: c.box.x2, y2: c.box.y2, score: c.score, label: c.label })),
          width: result.image.width,
          height: result.image.height,
          ms: result.timingsMs.total,
        }),
      (error: unknown) => send({ type: 'failed', imageId: request.imageId, message: describeThrown(error) }),
    );
  });
} catch (error) {
  send({ type: 'fatal', message: describeThrown(error) });
}
