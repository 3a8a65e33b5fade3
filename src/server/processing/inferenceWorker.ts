/**
 * Entry of one inference thread (worker_threads): loads the model package once, then processes one job at a time
 * as the pool sends them. CPU-bound work (DICOM decoding, onnxruntime) stays off the service's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDetector, type Detector } from '../../detector/Detector.js';
import { describeThrown, isDrfdsError } from '../../errors/DrfdsError.js';
import type { FromWorker, InferenceWorkerData, ToWorker } from './messages.js';
import { processImage } from './processImage.js';

const port = parentPort;
if (port === null) throw new Error('inferenceWorker must run in a worker thread');
const data = workerData as InferenceWorkerData;
const send = (message: FromWorker): void => port.postMessage(message);

let detector: Detector;
try {
  detector = await createDetector(data.modelDir, data.intraOpNumThreads > 0 ? { intraOpNumThreads: data.intraOpNumThreads } : {});
  send({ type: 'ready', model: detector.model });
} catch (error) {
  send({ type: 'init-failed', code: isDrfdsError(error) ? error.code : 'model/unloadable', message: describeThrown(error) });
  process.exit(1);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'stop') {
    void detector.release().finally(() => port.close());
    return;
  }
  const { input } = message;
  processImage(detector, input).then(
    (output) => send({ type: 'done', jobId: input.jobId, output }),
    (error: unknown) => send({ type: 'failed', jobId: input.jobId, code: isDrfdsError(error) ? error.code : 'processing/error', message: describeThrown(error) }),
  );
});
