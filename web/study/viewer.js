// A canvas radiograph viewer: window/level over 8- or 16-bit gray pixels, zoom, pan, invert, and fracture boxes
// (draw, select, move, delete) in image pixel coordinates. No dependencies, no build step.
//
// Mouse: in "box" mode a drag on empty image draws a box, a drag inside a box moves it; in "wl" mode a drag changes
// window (x) and level (y); in "pan" mode a drag pans. Always: wheel zooms about the cursor, right-drag = W/L,
// middle-drag or shift-drag = pan. Keys: Delete/Backspace deletes the selected box, I inverts, R resets the view.

const READER_COLOUR = '#33e0ff';
const MODEL_COLOUR = '#ffd400';
const SELECTED_COLOUR = '#ff5cf0';

export class RadiographViewer {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas, { onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onChange = onChange;
    this.mode = 'box';
    this.boxes = []; // reader boxes: {x, y, width, height, fromModel?: index}
    this.modelBoxes = []; // {x, y, width, height, score, operatingPoint, state: 'suggested'|'accepted'|'deleted'}
    this.selected = null; // {kind: 'reader'|'model', index}
    this.image = null;
    this.invert = false;
    this.drag = null;
    this.offscreen = document.createElement('canvas');
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(canvas);
    canvas.addEventListener('pointerdown', (e) => this.pointerDown(e));
    canvas.addEventListener('pointermove', (e) => this.pointerMove(e));
    canvas.addEventListener('pointerup', (e) => this.pointerUp(e));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    this.keyHandler = (e) => this.key(e);
    window.addEventListener('keydown', this.keyHandler);
  }

  destroy() {
    this.resizeObserver.disconnect();
    window.removeEventListener('keydown', this.keyHandler);
  }

  /**
   * @param {{width: number, height: number, data: Uint8Array | Uint16Array, bitsStored: number,
   *          window?: {center: number, width: number} | null, invert?: boolean}} image
   */
  setImage(image) {
    this.image = image;
    this.defaultInvert = image.invert === true;
    const max = (1 << image.bitsStored) - 1;
    // Default window: the 1st–99th percentile of the pixel values (robust to burned-in labels and collimation).
    const histogram = new Uint32Array(max + 1);
    for (let i = 0; i < image.data.length; i += 1) histogram[image.data[i]] += 1;
    const lowCount = image.data.length * 0.01;
    const highCount = image.data.length * 0.99;
    let cumulative = 0; let low = 0; let high = max;
    for (let v = 0; v <= max; v += 1) {
      cumulative += histogram[v];
      if (cumulative < lowCount) low = v;
      if (cumulative <= highCount) high = v;
    }
    if (high <= low) { low = 0; high = max; }
    // The file's own window (DICOM Window Center/Width) wins over the percentile window.
    this.defaultWindow = image.window && image.window.width >= 1 ? { ...image.window } : { width: Math.max(1, high - low), center: (high + low) / 2 };
    this.window = { ...this.defaultWindow };
    this.invert = this.defaultInvert;
    this.offscreen.width = image.width;
    this.offscreen.height = image.height;
    this.imageData = new ImageData(image.width, image.height);
    this.resize();
    this.fit();
    this.renderPixels();
  }

  setModelBoxes(boxes) {
    this.modelBoxes = boxes.map((b) => ({ ...b, state: 'suggested' }));
    this.draw();
  }

  setBoxes(boxes) {
    this.boxes = boxes.map((b) => ({ ...b }));
    this.selected = null;
    this.draw();
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(rect.width * ratio));
    this.canvas.height = Math.max(1, Math.round(rect.height * ratio));
    this.ratio = ratio;
    this.draw();
  }

  fit() {
    if (!this.image) return;
    const scale = Math.min(this.canvas.width / this.image.width, this.canvas.height / this.image.height);
    this.view = { scale, x: (this.canvas.width - this.image.width * scale) / 2, y: (this.canvas.height - this.image.height * scale) / 2 };
    this.draw();
  }

  reset() {
    if (!this.image) return;
    this.window = { ...this.defaultWindow };
    this.invert = this.defaultInvert;
    this.fit();
    this.renderPixels();
    this.onChange();
  }

  setMode(mode) { this.mode = mode; this.onChange(); }
  toggleInvert() { this.invert = !this.invert; this.renderPixels(); this.onChange(); }

  /** Window/level (DICOM PS3.3 C.11.2.1.2 linear function, without the −0.5 offsets for 8-bit) through a LUT. */
  renderPixels() {
    if (!this.image) return;
    const { width: w, center: c } = this.window;
    const max = (1 << this.image.bitsStored) - 1;
    const lut = new Uint8ClampedArray(max + 1);
    const lower = c - w / 2;
    for (let v = 0; v <= max; v += 1) {
      const out = ((v - lower) / w) * 255;
      lut[v] = this.invert ? 255 - out : out;
    }
    const source = this.image.data;
    const rgba = this.imageData.data;
    for (let i = 0, j = 0; i < source.length; i += 1, j += 4) {
      const g = lut[source[i]];
      rgba[j] = g; rgba[j + 1] = g; rgba[j + 2] = g; rgba[j + 3] = 255;
    }
    this.offscreen.getContext('2d').putImageData(this.imageData, 0, 0);
    this.draw();
  }

  toImage(e) {
    const rect = this.canvas.getBoundingClientRect();
    const sx = (e.clientX - rect.left) * this.ratio;
    const sy = (e.clientY - rect.top) * this.ratio;
    return { x: (sx - this.view.x) / this.view.scale, y: (sy - this.view.y) / this.view.scale, sx, sy };
  }

  hit(p) {
    const tolerance = 4 / this.view.scale;
    const inside = (b) => p.x >= b.x - tolerance && p.x <= b.x + b.width + tolerance && p.y >= b.y - tolerance && p.y <= b.y + b.height + tolerance;
    for (let i = this.boxes.length - 1; i >= 0; i -= 1) if (inside(this.boxes[i])) return { kind: 'reader', index: i };
    for (let i = this.modelBoxes.length - 1; i >= 0; i -= 1) if (this.modelBoxes[i].state === 'suggested' && inside(this.modelBoxes[i])) return { kind: 'model', index: i };
    return null;
  }

  pointerDown(e) {
    if (!this.image) return;
    this.canvas.setPointerCapture(e.pointerId);
    const p = this.toImage(e);
    let mode = this.mode;
    if (e.button === 2) mode = 'wl';
    else if (e.button === 1 || e.shiftKey) mode = 'pan';
    if (mode === 'box') {
      const hit = this.hit(p);
      this.selected = hit;
      if (hit?.kind === 'reader') {
        const b = this.boxes[hit.index];
        this.drag = { mode: 'move', start: p, origin: { x: b.x, y: b.y } };
      } else {
        // On empty image or on a model box: a click selects (the model box), a drag draws a new box.
        this.drag = { mode: 'draw', start: p, current: p };
      }
      this.onChange();
    } else {
      this.drag = { mode, start: p, window: { ...this.window }, view: { ...this.view } };
    }
    this.draw();
  }

  clampPoint(p) {
    return { x: Math.min(this.image.width, Math.max(0, p.x)), y: Math.min(this.image.height, Math.max(0, p.y)) };
  }

  pointerMove(e) {
    if (!this.drag) return;
    const p = this.toImage(e);
    const d = this.drag;
    if (d.mode === 'draw') d.current = this.clampPoint(p);
    else if (d.mode === 'move') {
      const b = this.boxes[this.selected.index];
      b.x = Math.min(this.image.width - b.width, Math.max(0, d.origin.x + p.x - d.start.x));
      b.y = Math.min(this.image.height - b.height, Math.max(0, d.origin.y + p.y - d.start.y));
    } else if (d.mode === 'wl') {
      const max = (1 << this.image.bitsStored) - 1;
      const gain = max / 256;
      this.window = { width: Math.max(1, d.window.width + (p.sx - d.start.sx) * gain), center: d.window.center + (p.sy - d.start.sy) * gain };
      this.renderPixels();
      return;
    } else if (d.mode === 'pan') {
      this.view = { ...d.view, x: d.view.x + p.sx - d.start.sx, y: d.view.y + p.sy - d.start.sy };
    }
    this.draw();
  }

  pointerUp() {
    const d = this.drag;
    this.drag = null;
    if (d?.mode === 'draw' && d.current) {
      const a = this.clampPoint(d.start);
      const x = Math.min(a.x, d.current.x); const y = Math.min(a.y, d.current.y);
      const width = Math.abs(d.current.x - a.x); const height = Math.abs(d.current.y - a.y);
      if (width * this.view.scale >= 5 && height * this.view.scale >= 5) {
        this.boxes.push({ x, y, width, height });
        this.selected = { kind: 'reader', index: this.boxes.length - 1 };
      }
    }
    this.draw();
    this.onChange();
  }

  wheel(e) {
    if (!this.image) return;
    e.preventDefault();
    const p = this.toImage(e);
    const factor = Math.exp(-e.deltaY * 0.0015);
    const scale = Math.min(40, Math.max(0.05, this.view.scale * factor));
    this.view = { scale, x: p.sx - p.x * scale, y: p.sy - p.y * scale };
    this.draw();
    this.onChange();
  }

  key(e) {
    if (e.target instanceof HTMLInputElement) return;
    if (e.key === 'Delete' || e.key === 'Backspace') { this.deleteSelected(); e.preventDefault(); }
    else if (e.key === 'i' || e.key === 'I') this.toggleInvert();
    else if (e.key === 'r' || e.key === 'R') this.reset();
  }

  deleteSelected() {
    const s = this.selected;
    if (!s) return;
    if (s.kind === 'reader') {
      const [removed] = this.boxes.splice(s.index, 1);
      if (removed && removed.fromModel !== undefined) this.modelBoxes[removed.fromModel].state = 'deleted';
    } else this.modelBoxes[s.index].state = 'deleted';
    this.selected = null;
    this.draw();
    this.onChange();
  }

  /** Accepting a model box makes it one of the reader's boxes (which the reader may then move or delete). */
  acceptModelBox(index) {
    const m = this.modelBoxes[index];
    if (!m || m.state !== 'suggested') return;
    m.state = 'accepted';
    this.boxes.push({ x: m.x, y: m.y, width: m.width, height: m.height, fromModel: index });
    this.selected = { kind: 'reader', index: this.boxes.length - 1 };
    this.draw();
    this.onChange();
  }

  acceptSelectedModelBox() {
    if (this.selected?.kind === 'model') this.acceptModelBox(this.selected.index);
  }

  /** Boxes to submit, and the model boxes kept unchanged (accepted and not moved). */
  result() {
    const boxes = this.boxes.map(({ x, y, width, height }) => ({ x, y, width, height }));
    const accepted = this.boxes.filter((b) => b.fromModel !== undefined && (() => { const m = this.modelBoxes[b.fromModel]; return m.x === b.x && m.y === b.y; })()).map((b) => b.fromModel);
    return { boxes, acceptedModelBoxes: accepted };
  }

  draw() {
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.image || !this.view) return;
    const { scale, x, y } = this.view;
    ctx.imageSmoothingEnabled = scale < 2;
    ctx.drawImage(this.offscreen, x, y, this.image.width * scale, this.image.height * scale);
    const line = 2 * this.ratio;
    const rect = (b, colour, dashed) => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = line;
      ctx.setLineDash(dashed ? [2 * line, 2 * line] : []);
      ctx.strokeRect(x + b.x * scale, y + b.y * scale, b.width * scale, b.height * scale);
    };
    this.modelBoxes.forEach((b, i) => {
      if (b.state !== 'suggested') return;
      const selected = this.selected?.kind === 'model' && this.selected.index === i;
      // Model boxes: solid at the high-specificity point, dotted at high sensitivity; other suggestions (the
      // readers' boxes in the consensus view) solid in their own colour.
      rect(b, selected ? SELECTED_COLOUR : b.colour ?? MODEL_COLOUR, b.operatingPoint === 'high-sensitivity');
    });
    this.boxes.forEach((b, i) => rect(b, this.selected?.kind === 'reader' && this.selected.index === i ? SELECTED_COLOUR : READER_COLOUR, false));
    const d = this.drag;
    if (d?.mode === 'draw' && d.current) {
      rect({ x: Math.min(d.start.x, d.current.x), y: Math.min(d.start.y, d.current.y), width: Math.abs(d.current.x - d.start.x), height: Math.abs(d.current.y - d.start.y) }, READER_COLOUR, true);
    }
    ctx.setLineDash([]);
  }

  describe() {
    if (!this.image) return '';
    return `W ${Math.round(this.window.width)} L ${Math.round(this.window.center)}${this.invert ? ' · inverted' : ''} · zoom ${(this.view.scale / this.ratio).toFixed(2)}× · ${this.image.width}×${this.image.height}`;
  }
}
