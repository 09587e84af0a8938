// FunctionsProxy team admin console. Plain script, no dependencies. The admin key lives only in this closure
// (never in storage, the URL or a cookie) and is sent as the x-api-key header on every data call.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat('en-US');
  let adminKey = null;
  let keys = [];
  let usageRows = [];

  // The proxy's base URL as team members must set it: this page's URL without the /_admin/ part.
  const baseUrl = location.href.replace(/\/_admin\/.*$/, '').replace(/\/$/, '');

  class ApiError extends Error { constructor(message, status) { super(message); this.status = status; } }

  async function call(method, path, body) {
    const headers = { 'x-api-key': adminKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer',
    });
    if (response.status === 204) return null;
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) throw new ApiError((data && data.error && data.error.message) || `HTTP ${response.status}`, response.status);
    return data;
  }

  // ---- small DOM helpers (text only: server data never becomes markup) ----
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    if (props) for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  const svg = (tag, attrs) => {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  };
  const utc = (iso) => iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/, '') : 'never';
  const int = (n) => nf.format(n);
  const usd = (n) => n === null || n === undefined ? '—' : '$' + (n >= 100 ? n.toFixed(2) : n >= 1 ? n.toFixed(3) : n.toFixed(4));
  const money = (n) => '$' + n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const age = (s) => s === null || s === undefined ? '—' : s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;

  function showError(target, e) {
    target.textContent = e instanceof Error ? e.message : String(e);
    target.hidden = false;
  }
  const banner = (e) => { if (e && e.status === 401) return signOut('The admin key is no longer accepted.'); showError($('banner'), e); };
  const clearBanner = () => { $('banner').hidden = true; };

  async function busy(button, work) {
    button.disabled = true;
    try { clearBanner(); await work(); } catch (e) { banner(e); } finally { button.disabled = false; }
  }

  // ---- sign in / out ----
  $('signin').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('admin-key');
    const error = $('signin-error');
    error.hidden = true;
    adminKey = input.value;
    try {
      const status = await call('GET', 'status');
      input.value = '';
      $('signin-view').hidden = true;
      $('app-view').hidden = false;
      $('signout').hidden = false;
      renderStatus(status);
      await Promise.all([loadKeys(), loadUsage()]);
      $('new-name').focus();
    } catch (e) {
      adminKey = null;
      showError(error, e.status === 401 ? 'That admin key is not accepted.' : e);
      input.select();
    }
  });

  function signOut(message) {
    adminKey = null;
    keys = [];
    usageRows = [];
    hideNewKey();
    for (const id of ['status', 'totals']) $(id).replaceChildren();
    for (const id of ['keys', 'usage']) $(id).tBodies[0].replaceChildren();
    $('app-view').hidden = true;
    $('signout').hidden = true;
    $('signin-view').hidden = false;
    const error = $('signin-error');
    error.hidden = !message;
    error.textContent = message || '';
    $('admin-key').focus();
  }
  $('signout').addEventListener('click', () => signOut());

  // ---- status ----
  function fact(term, value, cls) {
    return el('div', null, el('dt', { text: term }), el('dd', { class: cls, text: value }));
  }
  function renderStatus(s) {
    const reachable = s.backend.reachable;
    const priced = s.models.filter((m) => m.input !== null && m.input !== undefined).length;
    $('status').replaceChildren(
      fact('Backend', reachable === true ? 'reachable' : reachable === false ? `unreachable (${s.backend.last_error || 'error'})` : 'not checked yet',
        reachable === true ? 'ok' : reachable === false ? 'bad' : 'warn'),
      fact('Models discovered', s.catalog.refreshed_at ? `${int(s.catalog.models)} at ${utc(s.catalog.refreshed_at)} UTC` : 'none yet'),
      fact('Catalog age', age(s.catalog.age_seconds), s.catalog.age_seconds > 86400 ? 'warn' : null),
      fact('Models with a price', `${int(priced)} of ${int(s.models.length)}`),
      fact('Auth mode', s.auth_mode === 'keys' ? 'keys (team)' : 'forward (single user)', s.auth_mode === 'keys' ? null : 'warn'),
      fact('App version', s.version),
      fact('Base URL for members', baseUrl));
  }
  $('check').addEventListener('click', (ev) => busy(ev.currentTarget, async () => renderStatus(await call('GET', 'status?check=1'))));

  // ---- keys ----
  async function loadKeys() {
    keys = await call('GET', 'keys');
    renderKeys();
    const filter = $('key-filter');
    const current = filter.value;
    const names = [...new Set([...keys.map((k) => k.name), ...usageRows.map((r) => r.key_name)])].sort();
    filter.replaceChildren(el('option', { value: '', text: 'All keys' }), ...names.map((n) => el('option', { value: n, text: n })));
    filter.value = names.includes(current) ? current : '';
  }

  function limitsText(k) {
    const parts = [];
    if (k.requests_per_minute) parts.push(`${int(k.requests_per_minute)} rpm`);
    if (k.tokens_per_day) parts.push(`${int(k.tokens_per_day)} tok/day`);
    if (k.usd_per_day) parts.push(`${money(k.usd_per_day)}/day`);
    if (k.usd_per_month) parts.push(`${money(k.usd_per_month)}/month`);
    return parts.length ? parts.join(' · ') : 'none';
  }

  // Revoked keys stay listed by the server (greyed here, no actions: a new key under the name is made with Create).
  function renderKeys() {
    const body = $('keys').tBodies[0];
    const rows = keys.map((k) => el('tr', k.revoked ? { class: 'revoked', 'data-name': k.name } : { 'data-name': k.name },
      el('td', { text: k.name }),
      el('td', { class: 'mono', text: k.prefix + '…' }),
      el('td', { text: utc(k.created_at) }),
      el('td', { text: utc(k.last_used_at) }),
      el('td', { text: limitsText(k) }),
      k.revoked ? el('td', { class: 'bad', text: `revoked ${utc(k.revoked_at)}` }) : el('td', { class: 'ok', text: 'active' }),
      k.revoked ? el('td') : el('td', null, el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'quiet small', 'aria-label': `Edit limits of ${k.name}`, text: 'Limits', onclick: () => editLimits(k) }),
        el('button', { type: 'button', class: 'quiet small', 'aria-label': `Rotate ${k.name}`, text: 'Rotate', onclick: (ev) => rotate(k.name, ev.currentTarget) }),
        el('button', { type: 'button', class: 'quiet small', 'aria-label': `Revoke ${k.name}`, text: 'Revoke', onclick: (ev) => revoke(k.name, ev.currentTarget) })))));
    body.replaceChildren(...rows);
    $('keys-empty').hidden = rows.length > 0;
  }

  const numberOrNull = (id) => { const v = $(id).value.trim(); return v === '' ? null : Number(v); };

  $('create').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const button = ev.currentTarget.querySelector('button[type=submit]');
    busy(button, async () => {
      const body = { name: $('new-name').value.trim() };
      const limits = { requests_per_minute: numberOrNull('new-rpm'), tokens_per_day: numberOrNull('new-tpd'), usd_per_day: numberOrNull('new-usd-day'), usd_per_month: numberOrNull('new-usd-month') };
      for (const [k, v] of Object.entries(limits)) if (v !== null) body[k] = v;
      const created = await call('POST', 'keys', body);
      ev.target.reset();
      showNewKey(created, 'New key');
      await loadKeys();
    });
  });

  let shownKey = null;
  function showNewKey(created, what) {
    shownKey = created.key;
    $('new-key-title').textContent = `${what} for ${created.name}`;
    $('new-key-lines').textContent = `export ANTHROPIC_BASE_URL=${baseUrl}\nexport ANTHROPIC_API_KEY=${created.key}`;
    $('copied').textContent = '';
    $('new-key').hidden = false;
    $('copy-lines').focus();
  }
  function hideNewKey() {
    shownKey = null;
    $('new-key-lines').textContent = '';
    $('new-key').hidden = true;
  }
  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      $('copied').textContent = 'Copied.';
    } catch {
      // No clipboard permission (plain http on a non-local host): select the text for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents($('new-key-lines'));
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      $('copied').textContent = 'Selected: press Ctrl+C (⌘C) to copy.';
    }
  }
  $('copy-lines').addEventListener('click', () => copy($('new-key-lines').textContent));
  $('copy-key').addEventListener('click', () => shownKey && copy(shownKey));
  $('new-key-done').addEventListener('click', () => { hideNewKey(); $('new-name').focus(); });

  function confirmAction(text) {
    const dialog = $('confirm-dialog');
    $('confirm-text').textContent = text;
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
      dialog.showModal();
      $('confirm-yes').focus();
    });
  }

  async function revoke(name, button) {
    if (!await confirmAction(`Revoke the key of ${name}? Calls with it are refused within seconds. Its usage history stays.`)) return;
    await busy(button, async () => {
      await call('DELETE', 'keys/' + encodeURIComponent(name));
      if (shownKey && $('new-key-title').textContent.endsWith(` for ${name}`)) hideNewKey();
      await loadKeys();
    });
  }

  async function rotate(name, button) {
    if (!await confirmAction(`Rotate the key of ${name}? The current key stops working; a new one is shown once.`)) return;
    await busy(button, async () => {
      showNewKey(await call('POST', `keys/${encodeURIComponent(name)}/rotate`), 'Rotated key');
      await loadKeys();
    });
  }

  let editing = null;
  function editLimits(k) {
    editing = k.name;
    $('limits-title').textContent = `Limits of ${k.name}`;
    const set = (id, v) => { $(id).value = v === null || v === undefined ? '' : String(v); };
    set('lim-rpm', k.requests_per_minute);
    set('lim-tpd', k.tokens_per_day);
    set('lim-usd-day', k.usd_per_day);
    set('lim-usd-month', k.usd_per_month);
    $('limits-dialog').showModal();
    $('lim-rpm').focus();
  }
  $('limits-cancel').addEventListener('click', () => $('limits-dialog').close());
  $('limits-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const button = ev.currentTarget.querySelector('button[type=submit]');
    busy(button, async () => {
      await call('PUT', `keys/${encodeURIComponent(editing)}/limits`, {
        requests_per_minute: numberOrNull('lim-rpm'), tokens_per_day: numberOrNull('lim-tpd'),
        usd_per_day: numberOrNull('lim-usd-day'), usd_per_month: numberOrNull('lim-usd-month'),
      });
      $('limits-dialog').close();
      await loadKeys();
    });
  });

  // ---- usage ----
  async function loadUsage() {
    const name = $('key-filter').value;
    usageRows = await call('GET', `usage?days=${encodeURIComponent($('days').value)}` + (name ? `&name=${encodeURIComponent(name)}` : ''));
    renderUsage();
  }
  for (const id of ['days', 'key-filter']) $(id).addEventListener('change', () => loadUsage().catch(banner));
  $('metric').addEventListener('change', () => renderUsage());

  function total() { return { requests: 0, input: 0, output: 0, cached: 0, cost: 0, unpriced: 0 }; }
  function add(t, r) {
    t.requests += r.requests; t.input += r.input_tokens; t.output += r.output_tokens; t.cached += r.cache_read_input_tokens;
    if (r.cost_usd === null || r.cost_usd === undefined) t.unpriced += r.requests; else t.cost += r.cost_usd;
  }
  function group(by) {
    const map = new Map();
    for (const r of usageRows) { const k = by(r); if (!map.has(k)) map.set(k, total()); add(map.get(k), r); }
    return map;
  }
  // A group whose every request is unpriced has no cost (null, shown as —), not a cost of 0.
  const metricOf = (t, metric) => metric === 'cost' ? (t.unpriced === t.requests && t.requests > 0 ? null : t.cost) : metric === 'tokens' ? t.input + t.output + t.cached : t.requests;
  const formatMetric = (v, metric) => metric === 'cost' ? usd(v) : int(v);

  function renderUsage() {
    const metric = $('metric').value;
    const all = total();
    for (const r of usageRows) add(all, r);
    $('totals').replaceChildren(
      fact('Requests', int(all.requests)),
      fact('Input tokens', int(all.input)),
      fact('Output tokens', int(all.output)),
      fact('Cached input tokens', int(all.cached)),
      fact('Cost', usd(all.cost) + (all.unpriced ? ` + ${int(all.unpriced)} unpriced requests` : ''), all.unpriced ? 'warn' : null));

    // Every day of the period, oldest first, so gaps show as empty columns.
    const days = [];
    const n = Number($('days').value);
    for (let i = n - 1; i >= 0; i--) days.push(new Date(Date.now() - i * 86400000).toISOString().slice(0, 10));
    const byDay = group((r) => r.day);
    columns($('chart-day'), days.map((d) => ({ label: d, value: byDay.has(d) ? metricOf(byDay.get(d), metric) : 0 })), metric);
    bars($('chart-key'), [...group((r) => r.key_name)].map(([k, t]) => ({ label: k, value: metricOf(t, metric) })), metric);
    bars($('chart-model'), [...group((r) => r.model)].map(([k, t]) => ({ label: k, value: metricOf(t, metric) })), metric);

    $('usage').tBodies[0].replaceChildren(...usageRows.map((r) => el('tr', null,
      el('td', { text: r.day }), el('td', { text: r.key_name }), el('td', { class: 'mono', text: r.model }),
      el('td', { class: 'num', text: int(r.requests) }), el('td', { class: 'num', text: int(r.input_tokens) }),
      el('td', { class: 'num', text: int(r.output_tokens) }), el('td', { class: 'num', text: int(r.cache_read_input_tokens) }),
      el('td', { class: 'num', title: r.cost_usd === null ? 'No price known for this model (MODEL_PRICES)' : null, text: usd(r.cost_usd) }))));
    $('usage-empty').hidden = usageRows.length > 0;
  }

  // Column chart (per day) as SVG: scales with its box; each column has a tooltip and the chart a text summary.
  function columns(box, data, metric) {
    const w = 600, h = 180, pad = 22, max = Math.max(...data.map((d) => d.value || 0), 0);
    const chart = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': data.map((d) => `${d.label}: ${formatMetric(d.value, metric)}`).join(', ') });
    chart.append(svg('line', { x1: 0, y1: h - pad, x2: w, y2: h - pad, class: 'axis' }));
    const step = w / Math.max(data.length, 1), bw = Math.min(56, Math.max(2, step * 0.7));
    data.forEach((d, i) => {
      const bh = max > 0 ? (h - pad - 14) * (d.value || 0) / max : 0;
      const rect = svg('rect', { x: i * step + (step - bw) / 2, y: h - pad - bh, width: bw, height: Math.max(bh, d.value > 0 ? 1 : 0), class: 'col' });
      const tip = svg('title');
      tip.textContent = `${d.label}: ${formatMetric(d.value, metric)}`;
      rect.append(tip);
      chart.append(rect);
    });
    const label = (text, x, anchor) => { const t = svg('text', { x, y: h - 6, 'text-anchor': anchor }); t.textContent = text; chart.append(t); };
    if (data.length) { label(data[0].label, 2, 'start'); if (data.length > 1) label(data[data.length - 1].label, w - 2, 'end'); }
    const top = svg('text', { x: 2, y: 11 });
    top.textContent = 'max ' + formatMetric(max, metric);
    chart.append(top);
    box.replaceChildren(chart);
  }

  // Horizontal bars (per key, per model): long model ids stay readable on a phone.
  function bars(box, data, metric) {
    data.sort((a, b) => (b.value || 0) - (a.value || 0));
    const max = Math.max(...data.map((d) => d.value || 0), 0);
    if (!data.length) { box.replaceChildren(el('p', { class: 'hint', text: 'No data.' })); return; }
    box.replaceChildren(el('div', { class: 'hbars' }, ...data.slice(0, 12).map((d) => {
      const fill = el('div', { class: 'hbar-fill' });
      fill.style.width = (max > 0 ? 100 * (d.value || 0) / max : 0).toFixed(2) + '%'; // CSSOM, allowed by the CSP
      return el('div', null,
        el('div', { class: 'hbar-label' }, el('span', { title: d.label, text: d.label }), el('span', { text: formatMetric(d.value, metric) })),
        el('div', { class: 'hbar-track', role: 'presentation' }, fill));
    })));
  }

  $('admin-key').focus();
})();
