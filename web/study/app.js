// The reader-study browser app: login, the reader's studies and sessions, the reading page, and the admin pages.
// Plain ES modules; all data through the JSON API under ./api/.
import { RadiographViewer } from './viewer.js';
import { ReadingClock } from './readingClock.js';

const main = document.getElementById('main');
const messageBox = document.getElementById('message');
let me = null;
let cleanup = () => {};

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'text') element.textContent = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** Replaces the page's content; null entries (optional parts) are skipped. */
function render(...nodes) {
  main.replaceChildren(...nodes.flat().filter((node) => node !== null && node !== undefined));
}

function show(text, kind = 'error') {
  messageBox.textContent = text;
  messageBox.className = kind;
  messageBox.hidden = false;
  clearTimeout(show.timer);
  show.timer = setTimeout(() => { messageBox.hidden = true; }, kind === 'error' ? 8000 : 3000);
}

async function api(method, path, body, { keepalive = false } = {}) {
  const response = await fetch(`api/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    keepalive,
  });
  const json = await response.json().catch(() => ({}));
  if (response.status === 401 && path !== 'auth/login') { me = null; location.hash = '#/login'; }
  if (!response.ok) {
    const error = new Error(json.error?.message ?? `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return json;
}

const fieldValue = (form, name) => form.elements.namedItem(name).value.trim();

// ——— login ———

function loginPage() {
  const form = h('form', { class: 'card', id: 'login-form' },
    h('h2', { text: 'Log in' }),
    h('label', {}, 'User name ', h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true })),
    h('label', {}, 'Password ', h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { id: 'login-button', type: 'submit', text: 'Log in' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const result = await api('POST', 'auth/login', { username: fieldValue(form, 'username'), password: form.elements.namedItem('password').value });
      me = result.user;
      location.hash = '#/';
      route();
    } catch (error) { show(error.message); }
  });
  render(form);
}

// ——— reader ———

async function readerHome() {
  const { studies } = await api('GET', 'studies');
  const cards = studies.map((study) => h('div', { class: 'card study', 'data-study': study.id },
    h('h2', { text: study.name }),
    h('p', { class: 'muted', text: `Status: ${study.status} · washout ${study.washoutDays} days` }),
    h('table', {}, h('tr', {}, h('th', { text: 'Session' }), h('th', { text: 'Progress' }), h('th', { text: '' })),
      study.sessions.map((s) => h('tr', {},
        h('td', { text: s.number === 1 ? '1 — unaided' : '2 — aided (with the model)' }),
        h('td', { text: `${s.progress.done} / ${s.progress.total}${s.completedAt ? ' · complete' : ''}` }),
        h('td', {}, s.completedAt ? h('span', { class: 'muted', text: 'done' })
          : h('button', { id: `open-${study.id}-${s.number}`, class: s.availability.open ? '' : 'secondary', onclick: () => openSession(study.id, s.number) }, s.startedAt ? 'Continue' : 'Start'),
          s.availability.open || s.completedAt ? null : h('div', { class: 'muted closed-reason', text: s.availability.reason })))))));
  render(h('h1', { text: 'Your reader studies' }), ...(cards.length ? cards : [h('p', { text: 'You are not a reader of any study yet.' })]));
}

async function openSession(studyId, number) {
  try {
    await api('POST', `studies/${studyId}/sessions/${number}/open`);
    location.hash = `#/read/${studyId}/${number}`;
  } catch (error) { show(error.message); }
}

async function readingPage(studyId, number) {
  const state = await api('GET', `studies/${studyId}/sessions/${number}/current`);
  if (state.done) {
    render(h('div', { class: 'card', id: 'session-done' }, h('h2', { text: `Session ${number} complete` }),
      h('p', { text: `You have read all ${state.progress.total} cases. Thank you.` }), h('a', { href: '#/', text: 'Back to your studies' })));
    return;
  }
  const studyCase = state.case;
  const canvas = h('canvas', { id: 'viewer-canvas' });
  const overlay = h('div', { class: 'overlay', id: 'viewer-info' });
  const confidence = h('input', { id: 'confidence', type: 'range', min: 0, max: 100, step: 1, value: 50 });
  const confidenceValue = h('input', { id: 'confidence-value', type: 'number', min: 0, max: 100, step: 1, value: 50, style: 'width:4.5em' });
  const noFracture = h('input', { id: 'no-fracture', type: 'checkbox' });
  const boxList = h('ul', { id: 'box-list' });
  const modelList = h('ul', { id: 'model-list' });
  const submit = h('button', { id: 'submit-read', text: 'Submit and next case' });
  const tools = {};
  const viewer = new RadiographViewer(canvas, { onChange: () => refresh() });
  const toolButton = (mode, label) => (tools[mode] = h('button', { id: `tool-${mode}`, class: 'secondary', onclick: () => viewer.setMode(mode), text: label }));

  function refresh() {
    overlay.textContent = viewer.describe();
    for (const [mode, button] of Object.entries(tools)) button.classList.toggle('active', viewer.mode === mode);
    boxList.replaceChildren(...viewer.boxes.map((b, i) => h('li', {}, `Box ${i + 1}${b.fromModel !== undefined ? ' (from model)' : ''}: ${Math.round(b.width)}×${Math.round(b.height)} px `,
      h('button', { class: 'danger', onclick: () => { viewer.selected = { kind: 'reader', index: i }; viewer.deleteSelected(); }, text: 'Delete' }))));
    modelList.replaceChildren(...viewer.modelBoxes.map((b, i) => h('li', { class: `model-box ${b.state}`, 'data-state': b.state },
      `${b.operatingPoint === 'high-specificity' ? 'solid' : 'dotted'} box ${i + 1}: ${b.state} `,
      b.state === 'suggested' ? h('button', { class: 'accept-model', onclick: () => viewer.acceptModelBox(i), text: 'Accept' }) : null,
      b.state === 'suggested' ? h('button', { class: 'danger', onclick: () => { viewer.selected = { kind: 'model', index: i }; viewer.deleteSelected(); }, text: 'Delete' }) : null)));
    if (viewer.boxes.length > 0 && noFracture.checked) noFracture.checked = false;
    confidence.disabled = confidenceValue.disabled = noFracture.checked;
  }
  confidence.addEventListener('input', () => { confidenceValue.value = confidence.value; });
  confidenceValue.addEventListener('input', () => { confidence.value = confidenceValue.value; });
  noFracture.addEventListener('change', () => {
    if (noFracture.checked && viewer.boxes.length > 0) { noFracture.checked = false; show('Delete your boxes before marking "no fracture".'); }
    refresh();
  });

  const aided = number === 2;
  const panel = h('div', { class: 'panel' },
    h('h2', { id: 'case-title', text: `Case ${state.progress.done + 1} of ${state.progress.total}` }),
    h('p', { class: 'muted', id: 'session-kind', text: aided ? 'Session 2 — aided: the model\'s boxes are shown' : 'Session 1 — unaided' }),
    h('div', { class: 'tools' }, toolButton('box', 'Boxes'), toolButton('wl', 'Window/level'), toolButton('pan', 'Pan'),
      h('button', { id: 'tool-invert', class: 'secondary', onclick: () => viewer.toggleInvert(), text: 'Invert' }),
      h('button', { id: 'tool-reset', class: 'secondary', onclick: () => viewer.reset(), text: 'Reset' })),
    h('p', { class: 'muted', text: 'Drag to draw a box; drag a box to move it; Delete removes the selected one. Wheel zooms; right-drag = window/level; shift-drag = pan.' }),
    aided ? h('div', {}, h('h3', { text: 'Model boxes' }),
      h('p', { class: 'legend' }, h('span', {}, h('i', { class: 'swatch' }), 'high specificity'), h('span', {}, h('i', { class: 'swatch dotted' }), 'high sensitivity')),
      h('button', { id: 'accept-all', class: 'secondary', onclick: () => viewer.modelBoxes.forEach((_, i) => viewer.acceptModelBox(i)), text: 'Accept all' }), modelList) : null,
    h('h3', {}, h('i', { class: 'swatch reader' }), 'Your boxes'), boxList,
    h('h3', { text: 'Your reading' }),
    h('label', {}, 'Confidence that there is a fracture (0–100): ', confidenceValue, confidence),
    h('label', {}, noFracture, ' No fracture'),
    submit);
  render(h('div', { class: 'reading' }, h('div', { class: 'viewer' }, canvas, overlay), panel));

  const response = await fetch(`api/studies/${studyId}/sessions/${number}/cases/${studyCase.id}/pixels`, { credentials: 'same-origin' });
  if (!response.ok) { show(`cannot load the image (${response.status})`); return; }
  const bits = Number(response.headers.get('x-bits-stored') ?? 8);
  const buffer = await response.arrayBuffer();
  const data = bits > 8 ? new Uint16Array(buffer) : new Uint8Array(buffer);
  const windowCenter = response.headers.get('x-window-center');
  const windowWidth = response.headers.get('x-window-width');
  viewer.setImage({
    width: Number(response.headers.get('x-image-width')),
    height: Number(response.headers.get('x-image-height')),
    data,
    bitsStored: bits,
    window: windowCenter !== null && windowWidth !== null ? { center: Number(windowCenter), width: Number(windowWidth) } : null,
    invert: response.headers.get('x-invert') === '1',
  });
  if (aided) viewer.setModelBoxes(studyCase.modelBoxes ?? []);
  refresh();

  const clock = new ReadingClock((visibleMs, keepalive) => api('POST', `studies/${studyId}/sessions/${number}/cases/${studyCase.id}/time`, { visibleMs }, { keepalive }));
  await clock.start();
  cleanup = () => { clock.destroy(); viewer.destroy(); };

  submit.addEventListener('click', async () => {
    const { boxes, acceptedModelBoxes } = viewer.result();
    const body = noFracture.checked
      ? { boxes: [], confidence: null, noFracture: true, acceptedModelBoxes: [] }
      : { boxes, confidence: Number(confidenceValue.value), noFracture: false, acceptedModelBoxes };
    submit.disabled = true;
    const unreportedMs = clock.stop();
    try {
      await api('POST', `studies/${studyId}/sessions/${number}/cases/${studyCase.id}/read`, { ...body, unreportedMs });
      cleanup();
      cleanup = () => {};
      await readingPage(studyId, number);
    } catch (error) {
      show(error.message);
      submit.disabled = false;
      clock.pendingMs += unreportedMs;
      await clock.start();
    }
  });
}

// ——— admin ———

async function adminHome() {
  const [{ studies }, { users }] = await Promise.all([api('GET', 'admin/studies'), api('GET', 'admin/users')]);
  const studyForm = h('form', { id: 'create-study' },
    h('fieldset', {}, h('legend', { text: 'New study from a data set (COCO + images)' }),
      h('label', {}, 'Name ', h('input', { name: 'name', required: true })),
      h('label', {}, 'COCO annotations file ', h('input', { name: 'annotations', size: 50, required: true })),
      h('label', {}, 'Image folder ', h('input', { name: 'images', size: 50, required: true })),
      h('label', {}, 'Only images where field ', h('input', { name: 'whereField', size: 10 }), ' = ', h('input', { name: 'whereValue', size: 6 })),
      h('label', {}, 'At most ', h('input', { name: 'maxPositive', type: 'number', min: 1, style: 'width:5em' }), ' fracture and ', h('input', { name: 'maxNegative', type: 'number', min: 1, style: 'width:5em' }), ' fracture-free cases'),
      h('label', {}, 'Subgroup fields (comma-separated) ', h('input', { name: 'subgroupFields' })),
      h('label', {}, 'Washout (days) ', h('input', { name: 'washoutDays', type: 'number', min: 0, value: 30, style: 'width:5em' })),
      h('button', { type: 'submit', id: 'create-study-button', text: 'Create study' })));
  studyForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const selection = {};
    if (fieldValue(studyForm, 'whereField')) selection.where = { [fieldValue(studyForm, 'whereField')]: fieldValue(studyForm, 'whereValue') };
    if (fieldValue(studyForm, 'maxPositive')) selection.maxPositive = Number(fieldValue(studyForm, 'maxPositive'));
    if (fieldValue(studyForm, 'maxNegative')) selection.maxNegative = Number(fieldValue(studyForm, 'maxNegative'));
    try {
      const created = await api('POST', 'admin/studies', {
        name: fieldValue(studyForm, 'name'), annotations: fieldValue(studyForm, 'annotations'), images: fieldValue(studyForm, 'images'), selection,
        subgroupFields: fieldValue(studyForm, 'subgroupFields').split(',').map((s) => s.trim()).filter(Boolean), washoutDays: Number(fieldValue(studyForm, 'washoutDays')),
      });
      location.hash = `#/admin/study/${created.study.id}`;
    } catch (error) { show(error.message); }
  });
  const userForm = h('form', { id: 'create-user' },
    h('fieldset', {}, h('legend', { text: 'New account' }),
      h('label', {}, 'User name ', h('input', { name: 'username', required: true })),
      h('label', {}, 'Display name ', h('input', { name: 'displayName' })),
      h('label', {}, 'Password (≥ 8 characters) ', h('input', { name: 'password', type: 'password', required: true })),
      h('label', {}, 'Role ', h('select', { name: 'role' }, h('option', { value: 'reader', text: 'reader' }), h('option', { value: 'admin', text: 'admin' }))),
      h('label', {}, 'Group (e.g. resident, attending) ', h('input', { name: 'group' })),
      h('button', { type: 'submit', id: 'create-user-button', text: 'Create account' })));
  userForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', 'admin/users', { username: fieldValue(userForm, 'username'), displayName: fieldValue(userForm, 'displayName'), password: userForm.elements.namedItem('password').value, role: fieldValue(userForm, 'role'), group: fieldValue(userForm, 'group') });
      show('Account created', 'info');
      await adminHome();
    } catch (error) { show(error.message); }
  });
  render(
    h('h1', { text: 'Reader studies' }),
    h('table', { id: 'study-list' }, h('tr', {}, ['Study', 'Status', 'Cases', 'Fracture', 'Readers'].map((t) => h('th', { text: t }))),
      studies.map((s) => h('tr', {}, h('td', {}, h('a', { href: `#/admin/study/${s.study.id}`, text: s.study.name })), h('td', { text: s.study.status }), h('td', { text: s.cases.total }), h('td', { text: s.cases.fracture }), h('td', { text: s.readers.length })))),
    studyForm,
    h('h2', { text: 'Accounts' }),
    h('table', { id: 'user-list' }, h('tr', {}, ['User', 'Name', 'Role', 'Group'].map((t) => h('th', { text: t }))),
      users.map((u) => h('tr', {}, h('td', { text: u.username }), h('td', { text: u.displayName }), h('td', { text: u.role }), h('td', { text: u.group ?? '' })))),
    userForm);
}

async function adminStudy(studyId) {
  const [detail, { users }] = await Promise.all([api('GET', `admin/studies/${studyId}`), api('GET', 'admin/users')]);
  const { study, cases, readers } = detail;
  const act = (fn) => async (e) => { e.preventDefault?.(); try { await fn(); await adminStudy(studyId); } catch (error) { show(error.message); } };
  const candidates = users.filter((u) => u.role === 'reader' && !readers.some((r) => r.id === u.id));
  const readerSelect = h('select', { id: 'reader-select' }, candidates.map((u) => h('option', { value: u.username, text: `${u.displayName} (${u.username}, ${u.group ?? 'no group'})` })));
  const modelDir = h('input', { id: 'model-dir', size: 40, placeholder: 'model package folder (default: the service\'s model)' });
  render(
    h('p', {}, h('a', { href: '#/', text: '← all studies' })),
    h('h1', { id: 'study-title', text: study.name }),
    h('p', { id: 'study-status', text: `Status: ${study.status} · ${cases.total} cases (${cases.fracture} with fracture) · model output for ${cases.withModelOutput} · washout ${study.washoutDays} days · seed ${study.seed}` }),
    study.model ? h('p', { class: 'muted', text: `Model: ${study.model.name} ${study.model.version}${study.model.trained === false ? ' (UNTRAINED placeholder)' : ''} · operating points ${study.model.thresholds.highSensitivity} / ${study.model.thresholds.highSpecificity}` }) : null,
    study.status === 'setup' ? h('div', { class: 'card' },
      h('h2', { text: 'Set-up' }),
      h('p', {}, modelDir, ' ', h('button', { id: 'run-model', onclick: act(async () => { show('Running the model over the cases…', 'info'); await api('POST', `admin/studies/${studyId}/model`, modelDir.value.trim() ? { modelDir: modelDir.value.trim() } : {}); }), text: 'Run the model over the cases' })),
      h('p', {}, readerSelect, ' ', h('button', { id: 'add-reader', disabled: candidates.length === 0, onclick: act(() => api('POST', `admin/studies/${studyId}/readers`, { username: readerSelect.value })), text: 'Add reader' })),
      h('p', {}, h('button', { id: 'start-study', onclick: act(() => api('POST', `admin/studies/${studyId}/start`)), text: 'Start the study' }))) : null,
    h('h2', { text: 'Readers' }),
    h('table', { id: 'reader-table' }, h('tr', {}, ['Reader', 'Group', 'Session 1', 'Session 2', 'Washout override'].map((t) => h('th', { text: t }))),
      readers.map((r) => {
        const reason = h('input', { class: 'override-reason', placeholder: 'reason (recorded in the audit log)', size: 28 });
        const s2 = r.sessions[1];
        return h('tr', { 'data-reader': r.username },
          h('td', { text: `${r.displayName} (${r.username})` }), h('td', { text: r.group ?? '' }),
          r.sessions.map((s) => h('td', { text: `${s.progress.done}/${s.progress.total}${s.completedAt ? ' complete' : s.startedAt ? ' started' : ''}${!s.availability.open && !s.completedAt && s.availability.opensAt ? ` · opens ${s.availability.opensAt.slice(0, 10)}` : ''}` })),
          h('td', {}, r.override ? h('span', { text: `overridden: ${r.override.reason}` })
            : s2.startedAt ? null
            : h('span', {}, reason, ' ', h('button', { class: 'override-button', onclick: act(() => api('POST', `admin/studies/${studyId}/readers/${r.id}/override`, { reason: reason.value })), text: 'Open aided session now' }))));
      })),
    h('p', {}, h('a', { id: 'consensus-link', href: `#/admin/consensus/${studyId}`, text: 'Consensus reference standard (from the session-1 boxes)' })),
    h('p', {}, h('a', { id: 'report-link', href: `api/admin/studies/${studyId}/report`, target: '_blank', text: 'Analysis report' }), ' · ',
      h('a', { href: `api/admin/studies/${studyId}/analysis`, target: '_blank', text: 'Analysis (JSON)' }), ' · ', h('a', { href: `api/admin/studies/${studyId}/audit`, target: '_blank', text: 'Audit log (JSON)' })));
}

// ——— consensus: reference standards from the readers' session-1 boxes ———

const READER_COLOURS = ['#ffd400', '#ff8c1a', '#7dff6a', '#ff5c5c', '#c78bff', '#5cffd9'];

async function loadPixels(viewer, path) {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`cannot load the image (${response.status})`);
  const bits = Number(response.headers.get('x-bits-stored') ?? 8);
  const buffer = await response.arrayBuffer();
  const windowCenter = response.headers.get('x-window-center');
  const windowWidth = response.headers.get('x-window-width');
  viewer.setImage({
    width: Number(response.headers.get('x-image-width')),
    height: Number(response.headers.get('x-image-height')),
    data: bits > 8 ? new Uint16Array(buffer) : new Uint8Array(buffer),
    bitsStored: bits,
    window: windowCenter !== null && windowWidth !== null ? { center: Number(windowCenter), width: Number(windowWidth) } : null,
    invert: response.headers.get('x-invert') === '1',
  });
}

async function consensusPage(studyId, caseId) {
  const { cases } = await api('GET', `admin/studies/${studyId}/consensus`);
  const label = (c) => (c.decided ? 'decided' : c.agreement.status);
  const current = cases.find((c) => c.caseId === caseId) ?? cases.find((c) => c.final === null && c.agreement.status !== 'unread') ?? cases[0];
  const open = cases.filter((c) => c.final === null).length;
  const list = h('table', { id: 'consensus-cases' }, h('tr', {}, ['case', 'readers', 'status'].map((t) => h('th', { text: t }))),
    cases.map((c) => h('tr', { 'data-case': c.caseId, 'data-status': label(c) },
      h('td', {}, h('a', { href: `#/admin/consensus/${studyId}/${c.caseId}`, text: c.key })), h('td', { text: c.readers.length }), h('td', { text: label(c) }))));
  const header = [
    h('p', {}, h('a', { href: `#/admin/study/${studyId}`, text: '← study' })),
    h('h1', { text: 'Consensus reference standard' }),
    h('p', { id: 'consensus-summary', text: `${cases.length} cases · ${open} without consensus · ` }, open === 0
      ? h('a', { id: 'consensus-export', href: `api/admin/studies/${studyId}/consensus/coco`, download: 'consensus.coco.json', text: 'Export COCO' })
      : h('span', { class: 'muted', text: 'export once every case has one' })),
  ];
  if (!current) { render(...header, list); return; }
  const canvas = h('canvas', { id: 'viewer-canvas' });
  const overlay = h('div', { class: 'overlay', id: 'viewer-info' });
  const boxList = h('ul', { id: 'box-list' });
  const viewer = new RadiographViewer(canvas, { onChange: () => refresh() });
  cleanup = () => viewer.destroy();
  function refresh() {
    overlay.textContent = viewer.describe();
    boxList.replaceChildren(...viewer.boxes.map((b, i) => h('li', {}, `Box ${i + 1}: ${Math.round(b.width)}×${Math.round(b.height)} px `,
      h('button', { class: 'danger', onclick: () => { viewer.selected = { kind: 'reader', index: i }; viewer.deleteSelected(); }, text: 'Delete' }))));
  }
  const suggestions = current.readers.flatMap((r, k) => r.boxes.map((b) => ({ ...b, colour: READER_COLOURS[k % READER_COLOURS.length], reader: r.username })));
  const save = async (boxes) => {
    try {
      await api('POST', `admin/studies/${studyId}/consensus/${current.caseId}`, { boxes });
      const next = (await api('GET', `admin/studies/${studyId}/consensus`)).cases.find((c) => c.final === null && c.agreement.status !== 'unread' && c.caseId !== current.caseId);
      location.hash = next ? `#/admin/consensus/${studyId}/${next.caseId}` : `#/admin/consensus/${studyId}/${current.caseId}`;
      if (!next) await consensusPage(studyId, current.caseId);
    } catch (error) { show(error.message); }
  };
  const panel = h('div', { class: 'panel' },
    h('h2', { id: 'consensus-case', text: `${current.key} — ${label(current)}` }),
    h('h3', { text: 'Readers (session 1)' }),
    h('ul', { id: 'consensus-readers' }, current.readers.map((r, k) => h('li', {},
      h('i', { class: 'swatch', style: `border-top-color:${READER_COLOURS[k % READER_COLOURS.length]}` }),
      `${r.username}: ${r.noFracture ? 'no fracture' : `confidence ${r.confidence}, ${r.boxes.length} box(es)`}`))),
    h('button', { id: 'accept-all', class: 'secondary', onclick: () => viewer.modelBoxes.forEach((_, i) => viewer.acceptModelBox(i)), text: 'Take all readers\' boxes' }),
    h('p', { class: 'muted', text: 'Click a reader\'s box and press Accept selected, or draw the consensus boxes yourself.' }),
    h('button', { id: 'accept-selected', class: 'secondary', onclick: () => viewer.acceptSelectedModelBox(), text: 'Accept selected' }),
    h('h3', {}, h('i', { class: 'swatch reader' }), 'Consensus boxes'), boxList,
    h('p', {}, h('button', { id: 'save-consensus', onclick: () => save(viewer.result().boxes), text: 'Save consensus' }), ' ',
      h('button', { id: 'save-no-fracture', class: 'secondary', onclick: () => save([]), text: 'Save: no fracture' })),
    list);
  render(...header, h('div', { class: 'reading' }, h('div', { class: 'viewer' }, canvas, overlay), panel));
  await loadPixels(viewer, `api/admin/studies/${studyId}/cases/${current.caseId}/pixels`);
  viewer.setModelBoxes(suggestions);
  viewer.setBoxes((current.decided?.boxes ?? current.agreement.boxes ?? []));
  refresh();
}

// ——— routing ———

async function route() {
  cleanup();
  cleanup = () => {};
  messageBox.hidden = true;
  if (!me) {
    try { me = (await api('GET', 'auth/me')).user; } catch { me = null; }
  }
  document.getElementById('who').textContent = me ? `${me.displayName} · ${me.role}${me.group ? ` · ${me.group}` : ''}` : '';
  document.getElementById('logout').hidden = !me;
  const hash = location.hash || '#/';
  try {
    if (!me || hash === '#/login') return loginPage();
    const read = /^#\/read\/(\d+)\/([12])$/.exec(hash);
    if (read) return await readingPage(Number(read[1]), Number(read[2]));
    const consensusMatch = /^#\/admin\/consensus\/(\d+)(?:\/(\d+))?$/.exec(hash);
    if (consensusMatch && me.role === 'admin') return await consensusPage(Number(consensusMatch[1]), consensusMatch[2] ? Number(consensusMatch[2]) : undefined);
    const adminStudyMatch = /^#\/admin\/study\/(\d+)$/.exec(hash);
    if (adminStudyMatch && me.role === 'admin') return await adminStudy(Number(adminStudyMatch[1]));
    return me.role === 'admin' ? await adminHome() : await readerHome();
  } catch (error) {
    show(error.message);
  }
}

document.getElementById('logout').addEventListener('click', async () => {
  await api('POST', 'auth/logout').catch(() => {});
  me = null;
  location.hash = '#/login';
});
window.addEventListener('hashchange', route);
route();
