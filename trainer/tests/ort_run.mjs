// Runs a DR-FDS model package's model.onnx with onnxruntime-node (the runtime the TypeScript side uses) on raw
// float32 inputs, for the trainer's parity tests.  usage: node ort_run.mjs request.json  (prints JSON to stdout)
// request: { "model": "path/model.onnx", "inputs": [{ "file": "x.f32", "dims": [1, 1, H, W] }], "repeat": 1 }
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

const req = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const session = await ort.InferenceSession.create(req.model, { intraOpNumThreads: req.threads ?? 2 });
const results = [];
for (const input of req.inputs) {
  const buf = readFileSync(input.file);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const tensor = new ort.Tensor('float32', data, input.dims);
  let out;
  const times = [];
  for (let i = 0; i < (req.repeat ?? 1); i++) {
    const t0 = performance.now();
    out = await session.run({ image: tensor });
    times.push(performance.now() - t0);
  }
  results.push({
    boxes: Array.from(out.boxes.data),
    boxesDims: out.boxes.dims,
    scores: Array.from(out.scores.data),
    labels: Array.from(out.labels.data, (v) => Number(v)),
    labelsType: out.labels.type,
    ms: times,
  });
}
process.stdout.write(JSON.stringify({ inputNames: session.inputNames, outputNames: session.outputNames, results }));
