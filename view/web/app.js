// neurostream view: the live page. Updates arrive as Server-Sent Events
// ("frame", JSON; view/frame.go documents the fields); they are merged in
// the next animation frame, so however many arrive, the page redraws at
// most once per frame. Charts are uPlot (vendor/uplot); the two heat maps
// (spectrogram, coherence) are drawn by a small uPlot plugin, heatmap(),
// and the token strip by a uPlot series path builder, tokenPaths().
'use strict';

// Measurements the browser test reads: the cost of each page update
// (parse, merge, DOM and chart redraws) and long tasks.
const nsView = window.nsView = { updates: 0, frames: 0, costs: [], maxMs: 0, totalMs: 0, longTasks: 0, longTaskMs: 0 };
try {
  new PerformanceObserver(l => {
    for (const e of l.getEntries()) { nsView.longTasks++; nsView.longTaskMs += e.duration; }
  }).observe({ entryTypes: ['longtask'] });
} catch (_) { /* no long-task timing in this browser */ }

const $ = id => document.getElementById(id);
const HISTORY = 2000;   // points kept per series on the page
const utc = ts => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
// Time axes print the time of day in UTC, on the session's clock.
const clockAxis = { values: (u, splits) => splits.map(t => (t == null ? '' : new Date(t * 1e3).toISOString().slice(11, 19))), size: 40 };

const st = {
  rows: new Map(),      // session id -> {sum, tr, td: {...}}
  selected: decodeURIComponent((location.hash.match(/session=([^&]*)/) || [])[1] || '') || null,
  es: null, pending: [], pendingCost: 0, raf: 0, skew: 0, last: null,
  d: null,              // the selected session's detail
};

function newDetail(id) {
  return {
    id, dirty: new Set(), charts: {}, sel: null,
    psd: null, bp: { bands: [], channels: [], w: [], t: [], v: [] },
    spec: { start: 0, step: 1, w: [], t: [], v: [] }, coh: null, cohKey: '',
    sz: { w: [], t: [], p: [], s: [], ictal: [], events: [], alarms: [], state: '' },
    ssvep: { w: [], t: [], f: [], score: [], d: [], latest: null },
    tok: { channels: [], max: 0, keep: HISTORY, w: [], t: [], v: [] },
  };
}

// ---- connection ------------------------------------------------------

function connect() {
  if (st.es) st.es.close();
  const q = st.selected ? '?session=' + encodeURIComponent(st.selected) : '';
  const es = st.es = new EventSource('events' + q);
  es.addEventListener('frame', e => {
    const t0 = performance.now();
    st.pending.push(JSON.parse(e.data));
    st.pendingCost += performance.now() - t0;
    if (!st.raf) st.raf = requestAnimationFrame(render);
  });
  es.onopen = () => setStatus('live', 'live');
  es.onerror = () => setStatus(es.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…', 'down');
}

function setStatus(text, cls) {
  const s = $('status');
  s.textContent = text;
  s.className = 'status ' + cls;
}

function select(id) {
  if (id === st.selected) return;
  st.selected = id;
  history.replaceState(null, '', '#session=' + encodeURIComponent(id));
  for (const [k, r] of st.rows) r.tr.classList.toggle('selected', k === id);
  if (st.d) for (const c of Object.values(st.d.charts)) c.destroy();
  st.d = null;
  clearDetail();
  connect();
}

// ---- one page update -------------------------------------------------

function render() {
  st.raf = 0;
  const t1 = performance.now();
  const frames = st.pending;
  st.pending = [];
  for (const f of frames) merge(f);
  draw();
  const parse = st.pendingCost;
  st.pendingCost = 0;
  // uPlot commits its redraws in a microtask queued by setData: measure
  // after it.
  queueMicrotask(() => queueMicrotask(() => {
    const ms = parse + performance.now() - t1;
    nsView.updates++;
    nsView.frames += frames.length;
    nsView.totalMs += ms;
    nsView.maxMs = Math.max(nsView.maxMs, ms);
    if (nsView.costs.length < 10000) nsView.costs.push(ms);
  }));
}

function merge(f) {
  st.last = f;
  st.skew = f.time - Date.now() / 1e3;
  $('source').textContent = f.source || '';
  $('count').textContent = f.count + (f.count === 1 ? ' session' : ' sessions');
  const notes = [];
  if (f.dropped > 0) notes.push(f.dropped + ' results dropped (the view fell behind the pipeline)');
  if (f.skipped > 0) notes.push(f.skipped + (f.skipped === 1 ? ' update' : ' updates') + ' merged (this page was slow)');
  if (f.bad > 0) notes.push(f.bad + ' results not shown (see the server log)');
  $('dropped').hidden = notes.length === 0;
  $('dropped').textContent = notes.join(' · ');
  if (f.full) {
    const ids = new Set((f.sessions || []).map(s => s.id));
    for (const [id, r] of st.rows) if (!ids.has(id)) { r.tr.remove(); st.rows.delete(id); }
  }
  for (const s of f.sessions || []) row(s);
  $('empty').hidden = st.rows.size > 0;
  if (!st.selected && st.rows.size > 0) {
    select([...st.rows.keys()].sort()[0]);
    return;
  }
  if (f.detail && f.detail.id === st.selected) mergeDetail(f.detail);
}

// ---- session list ----------------------------------------------------

const COLS = ['id', 'state', 'windows', 'rate', 'last', 'lag', 'behind', 'dl', 'dominant', 'seizure', 'ssvep'];

function row(s) {
  let r = st.rows.get(s.id);
  if (!r) {
    const tr = document.createElement('tr');
    tr.dataset.session = s.id;
    const td = {};
    for (const c of COLS) {
      td[c] = document.createElement('td');
      td[c].className = c;
      tr.appendChild(td[c]);
    }
    tr.addEventListener('click', () => select(s.id));
    tr.classList.toggle('selected', s.id === st.selected);
    r = { tr, td, sum: s };
    // Keep the rows sorted by session id.
    const after = [...st.rows.keys()].filter(k => k > s.id).sort()[0];
    $('sessions').tBodies[0].insertBefore(tr, after ? st.rows.get(after).tr : null);
    st.rows.set(s.id, r);
  }
  r.sum = s;
  const set = (c, text) => { if (r.td[c].textContent !== text) r.td[c].textContent = text; };
  set('id', s.id);
  set('windows', String(s.windows));
  set('rate', s.rate == null ? '' : s.rate.toFixed(2));
  set('last', s.last_time == null ? '' : fmtTime(s.last_time));
  set('lag', s.lag != null && Math.abs(s.lag) < 86400 ? s.lag.toFixed(2) + ' s' : '');
  set('behind', s.behind >= 0 ? String(s.behind) : '');
  set('dl', String(s.dead_letters));
  set('dominant', s.dominant == null ? '' : fmtHz(s.dominant, s.resolution));
  const sz = s.seizure;
  set('seizure', sz ? `p ${fmt(sz.p, 2)} · ${sz.state || '–'} · ${sz.events} event${sz.events === 1 ? '' : 's'}` : '');
  r.td.seizure.classList.toggle('ictal', !!sz && sz.state === 'ictal');
  const sv = s.ssvep;
  set('ssvep', sv ? (sv.decision < 0 ? 'rest' : fmtHz(sv.frequency, 0.01)) + ` (${fmt(sv.score, 2)})` : '');
  stateCell(r);
}

// stateCell shows live, idle N s or ended (reason); called on updates and
// every second.
function stateCell(r) {
  const s = r.sum;
  let text = 'live', stale = false;
  if (s.ended) text = 'ended (' + s.ended.replace(/_/g, ' ') + ')';
  else {
    const age = Date.now() / 1e3 + st.skew - s.arrival;
    if (age > 10) { text = 'idle ' + Math.round(age) + ' s'; stale = true; }
  }
  if (r.td.state.textContent !== text) r.td.state.textContent = text;
  r.tr.classList.toggle('stale', stale);
}
setInterval(() => { for (const r of st.rows.values()) stateCell(r); }, 1000);

// ---- detail ----------------------------------------------------------

function clearDetail() {
  $('detail').hidden = true;
  for (const p of ['p-psd', 'p-bp', 'p-spec', 'p-tok', 'p-coh', 'p-sz', 'p-ssvep']) $(p).hidden = true;
  for (const c of ['c-psd', 'c-bp', 'c-spec', 'c-tok', 'tok-read', 'c-coh', 'c-sz', 'c-ssvep', 'c-ssvep-scores', 'psd-channels', 'events']) $(c).replaceChildren();
}

// mergeSeries appends src's points to dst (or starts over when src.full);
// a point for dst's last window replaces it; dst keeps the last keep.
function mergeSeries(dst, src, keys, keep = HISTORY) {
  if (src.full) for (const k of ['w', 't', ...keys]) dst[k] = [];
  for (let i = 0; i < src.w.length; i++) {
    const n = dst.w.length;
    if (n > 0 && src.w[i] === dst.w[n - 1]) {
      for (const k of ['t', ...keys]) dst[k][n - 1] = src[k][i];
    } else if (n === 0 || src.w[i] > dst.w[n - 1]) {
      dst.w.push(src.w[i]);
      for (const k of ['t', ...keys]) dst[k].push(src[k][i]);
    }
  }
  if (dst.w.length > keep) for (const k of ['w', 't', ...keys]) dst[k].splice(0, dst.w.length - keep);
}

function mergeDetail(x) {
  const d = st.d || (st.d = newDetail(x.id));
  if (x.psd) { d.psd = x.psd; d.dirty.add('psd'); }
  if (x.bp) {
    d.bp.bands = x.bp.bands; d.bp.channels = x.bp.channels;
    mergeSeries(d.bp, x.bp, ['v']);
    d.dirty.add('bp');
  }
  if (x.spec) {
    d.spec.start = x.spec.start; d.spec.step = x.spec.step;
    mergeSeries(d.spec, x.spec, ['v']);
    d.dirty.add('spec');
  }
  if (x.coh) { d.coh = x.coh; d.dirty.add('coh'); }
  if (x.seizure) {
    const z = x.seizure;
    mergeSeries(d.sz, { full: z.full, w: z.w || [], t: z.t || [], p: z.p || [], s: z.s || [], ictal: z.ictal || [] }, ['p', 's', 'ictal']);
    d.sz.events = x.seizure.events; d.sz.alarms = x.seizure.alarms; d.sz.state = x.seizure.state;
    d.dirty.add('sz');
  }
  if (x.tokens) {
    const k = d.tok;
    k.channels = x.tokens.channels; k.max = x.tokens.max; k.keep = x.tokens.keep;
    mergeSeries(k, x.tokens, ['v'], k.keep);
    d.dirty.add('tok');
  }
  if (x.ssvep) {
    mergeSeries(d.ssvep, x.ssvep, ['f', 'score', 'd']);
    if (x.ssvep.latest) d.ssvep.latest = x.ssvep.latest;
    d.dirty.add('ssvep');
  }
}

function draw() {
  const d = st.d;
  if (!d || d.dirty.size === 0) return;
  $('detail').hidden = false;
  $('d-title').textContent = d.id;
  const r = st.rows.get(d.id);
  if (r) {
    const s = r.sum, kinds = Object.keys(s.rows || {}).sort().map(k => `${k} ${s.rows[k]}`);
    $('d-health').textContent = `${s.windows} windows · ${kinds.join(', ')}` + (isNaN(s.sample_rate) || s.sample_rate == null ? '' : ` · ${s.sample_rate} Hz`);
  }
  for (const k of d.dirty) ({ psd: drawPSD, bp: drawBP, spec: drawSpec, tok: drawTok, coh: drawCoh, sz: drawSeizure, ssvep: drawSSVEP })[k](d);
  d.dirty.clear();
}

function width(el) { return Math.max(300, el.clientWidth || el.parentElement.clientWidth - 16 || 500); }

// chart (re)makes d.charts[name] when its shape key changed, else sets
// its data.
function chart(d, name, key, el, opts, data) {
  let c = d.charts[name];
  if (c && c._key === key) { c.setData(data); return c; }
  if (c) c.destroy();
  el.replaceChildren();
  c = new uPlot(Object.assign({ width: width(el), height: 220, tzDate: utc }, opts), data, el);
  c._key = key;
  d.charts[name] = c;
  return c;
}

const hue = (i, n) => `hsl(${Math.round(360 * i / Math.max(n, 1))} 65% 42%)`;

// The channels selected for the PSD and band power (all by default).
function selected(d, channels) {
  if (!d.sel) d.sel = new Set(channels);
  return channels.filter(c => d.sel.has(c));
}

function channelPicker(d) {
  const box = $('psd-channels'), chans = d.psd.channels;
  if (box.dataset.key === chans.join(',')) return;
  box.dataset.key = chans.join(',');
  box.replaceChildren();
  const btn = (label, fn) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.onclick = () => { fn(); box.dataset.key = ''; d.dirty.add('psd'); d.dirty.add('bp'); channelPicker(d); draw(); };
    box.appendChild(b);
  };
  btn('all', () => { d.sel = new Set(chans); });
  btn('none', () => { d.sel = new Set(); });
  selected(d, chans);
  chans.forEach((c, i) => {
    const l = document.createElement('label');
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.checked = d.sel.has(c);
    cb.onchange = () => { cb.checked ? d.sel.add(c) : d.sel.delete(c); d.dirty.add('psd'); d.dirty.add('bp'); draw(); };
    l.style.color = hue(i, chans.length);
    l.append(cb, ' ' + c);
    box.appendChild(l);
  });
}

function drawPSD(d) {
  const p = d.psd;
  $('p-psd').hidden = false;
  channelPicker(d);
  const sel = selected(d, p.channels);
  const n = Math.max(0, ...p.values.map(v => (v ? v.length : 0)));
  const freqs = Array.from({ length: n }, (_, i) => p.start + i * p.step);
  $('psd-info').textContent = `window ${p.window} at ${fmtTime(p.t)} · dominant ${p.dominant == null ? '–' : fmtHz(p.dominant, p.step)} (last 10 windows)`;
  const data = [freqs];
  const series = [{ label: 'Hz' }];
  for (const c of sel) {
    const i = p.channels.indexOf(c), v = p.values[i] || [];
    data.push(freqs.map((_, k) => (v[k] > 0 ? v[k] : null)));
    series.push({ label: c, stroke: hue(i, p.channels.length), width: 1 });
  }
  chart(d, 'psd', sel.join(',') + '|' + n, $('c-psd'), {
    series, legend: { show: false },
    scales: { x: { time: false }, y: { distr: 3 } },
    axes: [{ label: 'Hz' }, { label: p.unit, size: 70, values: (u, v) => v.map(x => (x == null ? '' : x.toExponential(0))) }],
  }, data);
}

function drawBP(d) {
  const b = d.bp;
  $('p-bp').hidden = false;
  const sel = new Set(d.psd ? selected(d, d.psd.channels) : b.channels);
  const idx = b.channels.map((c, i) => (sel.has(c) ? i : -1)).filter(i => i >= 0);
  const data = [b.t];
  for (let k = 0; k < b.bands.length; k++) {
    data.push(b.v.map(pt => {
      let s = 0, n = 0;
      for (const i of idx) { const x = pt[k] && pt[k][i]; if (x != null) { s += x; n++; } }
      return n ? s / n : null;
    }));
  }
  chart(d, 'bp', b.bands.join(','), $('c-bp'), {
    series: [{}, ...b.bands.map((name, k) => ({ label: name, stroke: hue(k, b.bands.length), width: 1.5 }))],
    scales: { x: { time: true }, y: { range: [0, 1] } },
    axes: [clockAxis, { label: 'relative power' }],
  }, data);
}

// Colour maps: viridis-like for magnitudes, blue-white-red for signed.
const SEQ = ['#440154', '#482475', '#414487', '#355f8d', '#2a788e', '#21908d', '#22a884', '#44bf70', '#7ad151', '#bddf26', '#fde725'];
const DIV = ['#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7', '#fddbc7', '#f4a582', '#d6604d', '#b2182b'];

// heatmap is a uPlot plugin that fills cells: cells(u) returns
// {x0, x1, y0, y1, v} in data units, range [lo, hi] maps v to colours.
function heatmap(cells, range, colors) {
  return {
    hooks: {
      draw: u => {
        const [lo, hi] = range();
        const paths = colors.map(() => new Path2D());
        const { left, top, width, height } = u.bbox;
        for (const c of cells(u)) {
          if (c.v == null) continue;
          let k = Math.floor((c.v - lo) / (hi - lo || 1) * colors.length);
          k = Math.min(colors.length - 1, Math.max(0, k));
          const x0 = u.valToPos(c.x0, 'x', true), x1 = u.valToPos(c.x1, 'x', true);
          const y0 = u.valToPos(c.y0, 'y', true), y1 = u.valToPos(c.y1, 'y', true);
          paths[k].rect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0) + 0.5, Math.abs(y1 - y0) + 0.5);
        }
        const ctx = u.ctx;
        ctx.save();
        ctx.beginPath();
        ctx.rect(left, top, width, height);
        ctx.clip();
        paths.forEach((p, k) => { ctx.fillStyle = colors[k]; ctx.fill(p); });
        ctx.restore();
      },
    },
  };
}

function drawSpec(d) {
  const s = d.spec;
  $('p-spec').hidden = false;
  const nb = Math.max(0, ...s.v.map(v => v.length));
  const dt = s.t.length > 1 ? (s.t[s.t.length - 1] - s.t[0]) / (s.t.length - 1) : 1;
  let lo = Infinity, hi = -Infinity;
  for (const v of s.v) for (const x of v) if (x != null) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  d.specRange = [lo, hi];
  const fmax = s.start + (nb - 0.5) * s.step;
  chart(d, 'spec', `${s.start}|${s.step}|${nb}`, $('c-spec'), {
    series: [{}, { label: 'log₁₀ PSD', stroke: 'transparent', points: { show: false }, paths: () => null }],
    legend: { show: false },
    scales: { x: { time: true, range: (u, a, b) => [a, b + dt] }, y: { auto: false, range: [s.start - s.step / 2, fmax] } },
    axes: [clockAxis, { label: 'Hz' }],
    plugins: [heatmap(() => {
      const out = [], sp = st.d && st.d.spec;
      if (!sp) return out;
      for (let i = 0; i < sp.t.length; i++) {
        const t0 = sp.t[i], t1 = i + 1 < sp.t.length ? sp.t[i + 1] : t0 + dt;
        sp.v[i].forEach((v, k) => out.push({ x0: t0, x1: t1, y0: sp.start + (k - 0.5) * sp.step, y1: sp.start + (k + 0.5) * sp.step, v }));
      }
      return out;
    }, () => (st.d && st.d.specRange) || [0, 1], SEQ)],
  }, [s.t, s.t.map(() => null)]);
}

// The token strip: a row per channel, a cell per 0.5 s frame coloured by
// its token id. The ids run in order over the colour ramp: a vocabulary
// numbers its codewords cell by cell (docs/tokenizer.md), so near ids are
// near motifs and get near colours; the readout below gives the ids.
const TOK_HOP = 0.5; // s from one token frame to the next

function tokenColour(id, maxId) {
  const n = SEQ.length;
  return SEQ[Math.min(n - 1, Math.floor(id * n / (maxId + 1)))];
}

// tokenPaths is the strip's path builder: series si, channel si − 1, is
// its row of cells, one Path2D per colour (uPlot fills a Map of fill style
// to path).
function tokenPaths(u, si, i0, i1) {
  const xs = u.data[0], ids = u.data[si], maxId = (st.d && st.d.tok.max) || 0;
  const a = u.valToPos(si - 1.5, 'ch', true), b = u.valToPos(si - 0.5, 'ch', true);
  const top = Math.min(a, b), h = Math.abs(b - a);
  const fill = new Map();
  for (let i = Math.max(0, i0); i <= i1; i++) {
    const id = ids[i];
    if (id == null) continue;
    const c = tokenColour(id, maxId);
    let p = fill.get(c);
    if (!p) fill.set(c, (p = new Path2D()));
    const x0 = u.valToPos(xs[i], 'x', true), x1 = u.valToPos(xs[i] + TOK_HOP, 'x', true);
    p.rect(x0, top, Math.max(1, x1 - x0), h);
  }
  return { fill, stroke: null };
}

// tokenReadout prints the tokens of the frame under the cursor, or of the
// latest frame.
function tokenReadout(u) {
  const k = st.d && st.d.tok, el = $('tok-read');
  if (!k || !u || k.w.length === 0) return;
  const hover = u.cursor.idx != null && u.cursor.idx < k.w.length;
  const i = hover ? u.cursor.idx : k.w.length - 1, row = k.v[i] || [];
  const text = `${hover ? 'frame' : 'latest frame'} ${k.w[i]} at ${fmtTime(k.t[i])}: ` +
    k.channels.map((c, j) => `${c} ${row[j] >= 0 ? row[j] : '–'}`).join(' · ');
  if (el.textContent !== text) el.textContent = text;
  el.dataset.frame = k.w[i];
}

function drawTok(d) {
  const k = d.tok, n = k.channels.length;
  $('p-tok').hidden = false;
  $('tok-info').textContent = `${k.w.length} frames × ${n} channels · colour: token id 0 … ${k.max}`;
  const idx = k.channels.map((_, c) => c), step = Math.max(1, Math.ceil(n / 24));
  const data = [k.t, ...idx.map(c => k.v.map(row => (row[c] >= 0 ? row[c] : null)))];
  const c = chart(d, 'tok', k.channels.join(','), $('c-tok'), {
    height: Math.min(460, 70 + 14 * n),
    series: [{}, ...k.channels.map(ch => ({ label: ch, scale: 'ch', width: 0, paths: tokenPaths, points: { show: false } }))],
    legend: { show: false },
    cursor: { y: false, points: { show: false } },
    scales: { x: { time: true, range: (u, a, b) => [a, b + TOK_HOP] }, ch: { auto: false, range: [-0.5, n - 0.5], dir: -1 } },
    axes: [clockAxis, { scale: 'ch', splits: () => idx.filter(i => i % step === 0), values: (u, sp) => sp.map(i => k.channels[i] || ''), gap: 2 }],
    hooks: { setCursor: [tokenReadout] },
  }, data);
  tokenReadout(c);
}

function drawCoh(d) {
  const c = d.coh;
  $('p-coh').hidden = false;
  const sel = $('coh-key');
  if (sel.dataset.key !== c.keys.join(',')) {
    sel.dataset.key = c.keys.join(',');
    sel.replaceChildren(...c.keys.map(k => new Option(k.replace('/', ' · '), k)));
    sel.value = c.keys.includes(d.cohKey) ? d.cohKey : (c.keys.find(k => k.endsWith('/alpha')) || c.keys[0]);
    sel.onchange = () => { if (st.d) { st.d.cohKey = sel.value; st.d.dirty.add('coh'); draw(); } };
  }
  d.cohKey = sel.value;
  const signed = d.cohKey.startsWith('imcoh/');
  $('coh-info').textContent = `window ${c.window} · ${signed ? '−1 … 1' : '0 … 1'}`;
  const n = c.labels.length, idx = Array.from({ length: n }, (_, i) => i);
  const step = Math.max(1, Math.ceil(n / 20));
  const ax = { splits: () => idx.filter(i => i % step === 0), values: (u, sp) => sp.map(i => c.labels[i] || ''), gap: 2 };
  chart(d, 'coh', c.labels.join(',') + '|' + signed, $('c-coh'), {
    height: Math.min(420, 120 + 16 * n),
    series: [{}, { stroke: 'transparent', points: { show: false }, paths: () => null }],
    legend: { show: false }, cursor: { show: false },
    scales: { x: { time: false, auto: false, range: [-0.5, n - 0.5] }, y: { auto: false, range: [-0.5, n - 0.5], dir: -1 } },
    axes: [Object.assign({ label: 'target' }, ax), Object.assign({ label: 'seed' }, ax)],
    plugins: [heatmap(() => {
      const out = [], cc = st.d && st.d.coh, m = cc && cc.values[st.d.cohKey];
      if (!m) return out;
      m.forEach((r, i) => r.forEach((v, j) => out.push({ x0: j - 0.5, x1: j + 0.5, y0: i - 0.5, y1: i + 0.5, v })));
      return out;
    }, () => (st.d && st.d.cohKey.startsWith('imcoh/') ? [-1, 1] : [0, 1]), signed ? DIV : SEQ)],
  }, [idx, idx.map(() => null)]);
}

function drawSeizure(d) {
  const z = d.sz;
  $('p-sz').hidden = false;
  $('sz-state').textContent = z.state ? 'now ' + z.state : '';
  $('sz-state').className = z.state === 'ictal' ? 'ictal' : '';
  chart(d, 'sz', 'sz', $('c-sz'), {
    series: [{},
      { label: 'probability', stroke: '#607d8b', width: 1 },
      { label: 'smoothed', stroke: '#1565c0', width: 2 },
      { label: 'ictal', stroke: 'transparent', fill: 'rgba(198,40,40,0.15)', paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }],
    scales: { x: { time: true }, y: { range: [0, 1] } },
    axes: [clockAxis, { label: 'p' }],
    hooks: { draw: [u => {
      // Events (final, with onset and offset) as shaded spans with their
      // edges; alarms (a window turning ictal) as dashed lines.
      const ctx = u.ctx, { top, height } = u.bbox, zz = st.d && st.d.sz;
      if (!zz) return;
      ctx.save();
      for (const e of zz.events) {
        const x0 = u.valToPos(e.onset_time, 'x', true), x1 = u.valToPos(e.offset_time, 'x', true);
        ctx.fillStyle = 'rgba(198,40,40,0.18)';
        ctx.fillRect(x0, top, x1 - x0, height);
        ctx.fillStyle = '#c62828';
        ctx.fillRect(x0, top, 2, height);
      }
      ctx.strokeStyle = '#ef6c00';
      ctx.setLineDash([4, 3]);
      for (const a of zz.alarms) {
        const x = u.valToPos(a, 'x', true);
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
      }
      ctx.restore();
    }] },
  }, [z.t, z.p, z.s, z.ictal]);
  const list = $('events');
  const items = z.events.map(e => {
    const li = document.createElement('li');
    li.dataset.onset = e.onset;
    li.dataset.offset = e.offset;
    li.textContent = `${e.onset.toFixed(1)}–${e.offset.toFixed(1)} s (${fmtTime(e.onset_time)}–${fmtTime(e.offset_time)}), ` +
      `${(e.offset - e.onset).toFixed(0)} s, confidence ${fmt(e.confidence, 2)}`;
    return li;
  });
  list.replaceChildren(...items);
  $('alarms').textContent = z.alarms.length ? `alarms (window turned ictal): ${z.alarms.map(fmtTime).join(', ')}` : 'no alarm';
}

function drawSSVEP(d) {
  const s = d.ssvep, l = s.latest;
  $('p-ssvep').hidden = false;
  if (l) {
    $('ssvep-target').textContent = l.decision < 0 ? 'rest' : 'target ' + fmtHz(l.frequency, 0.01);
    $('ssvep-info').textContent = `${l.method} · score ${fmt(l.score, 3)} · margin ${fmt(l.margin, 3)} · window ${l.window}`;
    const k = l.frequencies.map((_, i) => i);
    chart(d, 'ssvepScores', l.frequencies.join(','), $('c-ssvep-scores'), {
      height: 160,
      series: [{}, { label: 'score', fill: '#90caf9', stroke: '#1565c0', paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }],
      legend: { show: false },
      scales: { x: { time: false, range: [-0.5, k.length - 0.5] }, y: { range: (u, a, b) => [0, Math.max(b, 0.1) * 1.1] } },
      axes: [{ splits: () => k, values: (u, sp) => sp.map(i => fmtHz(l.frequencies[i], 0.01)) }, { label: 'score' }],
    }, [k, l.scores]);
  }
  chart(d, 'ssvep', 'ssvep', $('c-ssvep'), {
    height: 180,
    series: [{}, { label: 'score', stroke: '#1565c0', width: 1.5, scale: 'score' },
      { label: 'decision Hz', stroke: '#ef6c00', scale: 'hz', paths: () => null, points: { show: true, size: 5 } }],
    scales: { x: { time: true } },
    axes: [clockAxis, { scale: 'score', label: 'score' }, { scale: 'hz', side: 1, label: 'Hz', grid: { show: false } }],
  }, [s.t, s.score, s.f.map((f, i) => (s.d[i] < 0 ? null : f))]);
}

// ---- formatting ------------------------------------------------------

function fmt(v, digits) { return v == null ? '–' : Number(v).toFixed(digits); }

// fmtHz prints a frequency to the resolution it has.
function fmtHz(f, res) {
  const dec = res >= 1 || !res ? 0 : Math.min(3, Math.ceil(-Math.log10(res) - 1e-9));
  return Number(f).toFixed(dec).replace(/\.?0+$/, m => (dec > 0 && m.includes('.') ? '' : m)) + ' Hz';
}

// fmtTime prints a time on a session's clock in UTC: the time of day for
// sessions that start at the Unix epoch (simulations, recordings without
// a start time), date and time otherwise.
function fmtTime(t) {
  if (t == null) return '';
  const s = new Date(t * 1e3).toISOString();
  return t < 365 * 86400 ? s.slice(11, 19) : s.slice(0, 10) + ' ' + s.slice(11, 19);
}

window.addEventListener('resize', () => {
  if (!st.d) return;
  for (const c of Object.values(st.d.charts)) c.setSize({ width: width(c.root.parentElement), height: c.height });
});

connect();
