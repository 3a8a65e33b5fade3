// DR-FDS triage worklist: plain ES module, no build step. Talks to /api/v1 with the session cookie
// (user login from src/auth, or an API token turned into an HttpOnly cookie), live updates by server-sent events.

const $ = (selector) => document.querySelector(selector);
const state = { order: 'newest', entries: [], selected: undefined, events: undefined, refreshTimer: undefined };

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) {
    showLogin();
    throw new Error('not logged in');
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  }
  return response;
}

function showLogin(message = '') {
  $('#app').hidden = true;
  $('#logout').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message;
  state.events?.close();
  state.events = undefined;
}

function showApp() {
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#logout').hidden = false;
}

/** "4 min", "2 h 5 min": time since arrival, the triage clock. */
export function since(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d`;
}

function badge(entry) {
  const span = document.createElement('span');
  span.className = 'badge';
  if (entry.status === 'done') {
    span.textContent = entry.decision;
    span.classList.add(entry.decision.replace(' ', '-'));
  } else if (entry.status === 'failed') {
    span.textContent = 'failed';
    span.classList.add('failed');
    span.title = entry.error ?? '';
  } else {
    span.textContent = entry.status;
    span.classList.add('pending');
  }
  return span;
}

function cell(row, content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  row.append(td);
}

function renderWorklist() {
  const body = $('#worklist tbody');
  body.replaceChildren();
  $('#empty').hidden = state.entries.length > 0;
  $('#untrained').hidden = !state.entries.some((e) => e.modelTrained === false);
  for (const entry of state.entries) {
    const row = document.createElement('tr');
    row.dataset.id = entry.id;
    row.dataset.decision = entry.decision ?? entry.status;
    if (entry.id === state.selected) row.classList.add('selected');
    cell(row, since(entry.receivedAt));
    cell(row, badge(entry));
    cell(row, entry.probability === undefined ? '' : entry.probability.toFixed(2));
    cell(row, entry.findings === undefined ? '' : String(entry.findings));
    cell(row, entry.status);
    cell(row, entry.receivedVia);
    row.addEventListener('click', () => void openViewer(entry.id));
    body.append(row);
  }
}

async function refreshWorklist() {
  const response = await api(`/api/v1/worklist?order=${state.order}&limit=200`);
  state.entries = (await response.json()).entries;
  renderWorklist();
}

async function refreshStatus() {
  const status = await (await api('/api/v1/status')).json();
  const q = status.queue;
  const d = status.deliveries;
  const parts = [
    `queue ${q.queued}`, `running ${q.running}`, `done ${q.done}`, `${q.ratePerMinute.toFixed(1)}/min`,
    q.failed > 0 ? `<span class="bad">failed ${q.failed}</span>` : 'failed 0',
    d.retrying > 0 ? `<span class="bad">PACS retrying ${d.retrying}</span>` : `sent to PACS ${d.sent}`,
  ];
  $('#status').innerHTML = parts.join(' · ');
  const lastFailure = q.recentFailures[0];
  $('#status').title = lastFailure ? `last failure: ${lastFailure.error}` : '';
}

function scheduleRefresh() {
  if (state.refreshTimer !== undefined) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = undefined;
    void refreshWorklist().catch(() => {});
    void refreshStatus().catch(() => {});
    if (state.selected) void openViewer(state.selected, false).catch(() => {});
  }, 250);
}

function connectEvents() {
  state.events?.close();
  const events = new EventSource('/api/v1/events');
  events.addEventListener('hello', () => $('#live').classList.add('on'));
  events.addEventListener('change', scheduleRefresh);
  events.onerror = () => $('#live').classList.remove('on');
  state.events = events;
}

async function openViewer(id, audit = true) {
  state.selected = id;
  renderWorklist();
  const job = await (await api(`/api/v1/images/${id}`)).json();
  $('#viewer').hidden = false;
  $('#viewer-title').textContent = job.status === 'done' ? `${job.result.decision} — probability ${job.result.probability.toFixed(2)}` : `Image ${job.status}`;
  const details = $('#details');
  details.replaceChildren();
  const add = (term, value) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    details.append(dt, dd);
  };
  add('Arrived', `${new Date(job.receivedAt).toLocaleString()} (${since(job.receivedAt)} ago)`);
  add('Received via', job.receivedVia);
  if (job.error) add('Error', job.error);
  const canvas = $('#canvas');
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (job.status !== 'done') return;
  const result = job.result;
  add('Model', `${result.model.name} ${result.model.version}${result.model.trained ? '' : ' (UNTRAINED placeholder)'}`);
  add('Thresholds', `high sensitivity ${result.thresholds.highSensitivity}, high specificity ${result.thresholds.highSpecificity}`);
  add('Boxes', String(result.findings.length));
  for (const delivery of job.deliveries ?? []) add(`PACS ${delivery.destination} (${delivery.kind})`, `${delivery.status}${delivery.lastError ? `: ${delivery.lastError}` : ''}`);
  if (!audit) return;
  const blob = await (await api(`/api/v1/images/${id}/preview.png`)).blob();
  const bitmap = await createImageBitmap(blob);
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  context.drawImage(bitmap, 0, 0);
  drawBoxes(context, result, bitmap.width / result.image.width);
}

/** Boxes in original pixels, scaled to the preview: solid = high-specificity, dotted = high-sensitivity only. */
function drawBoxes(context, result, scale) {
  context.lineWidth = Math.max(2, Math.round(3 * scale * 2));
  for (const finding of result.findings) {
    const strict = finding.operatingPoint === 'high-specificity';
    context.strokeStyle = strict ? '#ff5252' : '#ffb300';
    context.setLineDash(strict ? [] : [6, 6]);
    const { x, y, width, height } = finding.box;
    context.strokeRect(x * scale, y * scale, width * scale, height * scale);
    context.fillStyle = context.strokeStyle;
    context.font = '14px system-ui';
    context.fillText(finding.score.toFixed(2), x * scale, Math.max(12, y * scale - 4));
  }
  context.setLineDash([]);
}

async function start() {
  const me = await fetch('/api/v1/me', { credentials: 'same-origin' });
  if (me.status !== 200) {
    showLogin();
    return;
  }
  showApp();
  await Promise.all([refreshWorklist(), refreshStatus()]);
  connectEvents();
}

$('#order').addEventListener('change', (event) => {
  state.order = event.target.value;
  void refreshWorklist();
});

$('#login-password').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch('/api/v1/auth/login', {
    method: 'POST', headers: { 'content-type': 'application/json' }, credentials: 'same-origin',
    body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    showLogin(body.error?.message ?? 'login failed');
    return;
  }
  void start();
});

$('#login-token').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await fetch('/api/v1/token-session', {
    method: 'POST', headers: { 'content-type': 'application/json' }, credentials: 'same-origin', body: JSON.stringify({ token: form.get('token') }),
  });
  if (!response.ok) {
    showLogin('unknown or revoked token');
    return;
  }
  void start();
});

$('#logout').addEventListener('click', async () => {
  await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => {});
  await fetch('/api/v1/logout', { method: 'POST', credentials: 'same-origin' });
  showLogin();
});

setInterval(() => { if (!$('#app').hidden) renderWorklist(); }, 30_000);
void start();
