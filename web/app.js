// The shop and pipeline page: plain JS, no dependencies, served by pizza-service.
// Orders update by long poll (GET /order/{id}?wait&after): the server answers
// when a pizza arrives, so nothing polls fast. The report and the pipeline
// are small JSON documents read every couple of seconds while the page shows.
'use strict';

const STORE_KEY = 'pizza-orders';
const KEEP_ORDERS = 10;
const WAIT_S = 25;
const REPORT_EVERY_MS = 2000;
const PIPELINE_EVERY_MS = 1000;

const $ = (sel) => document.querySelector(sel);

function reportUrl() {
  const given = document.querySelector('meta[name="report-url"]').content.trim();
  return given || `${location.protocol}//${location.hostname}:5001/report`;
}

// A fetch that never throws: {status, body} or {status: 0, error} when the
// server cannot be reached. body is parsed JSON when the answer is JSON.
async function request(url, options = {}) {
  try {
    const res = await fetch(url, { cache: 'no-store', ...options });
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = null; }
    return { status: res.status, body, retryAfter: res.headers.get('Retry-After') };
  } catch (err) {
    return { status: 0, error: err.message || String(err) };
  }
}

const errorText = (res) => (res.body && res.body.error) || res.error || `HTTP ${res.status}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function say(text, kind) {
  const box = $('#message');
  box.textContent = text;
  box.className = text ? kind : '';
}

// ---- my orders (ids kept in this browser)

function storedIds() {
  try {
    const ids = JSON.parse(localStorage.getItem(STORE_KEY) || '[]');
    return Array.isArray(ids) ? ids.filter((id) => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

function storeIds(ids) {
  localStorage.setItem(STORE_KEY, JSON.stringify(ids.slice(0, KEEP_ORDERS)));
}

function orderItem(id) {
  let item = document.querySelector(`li.order[data-order-id="${CSS.escape(id)}"]`);
  if (item) return item;
  item = el('li', { class: 'order', 'data-order-id': id },
    el('div', { class: 'order-head' },
      el('span', { class: 'order-status', text: 'pending' }),
      el('span', { class: 'order-count', text: '' }),
      el('span', { class: 'order-id', text: id })),
    el('ul', { class: 'pizzas', 'aria-label': 'Pizzas of this order' }));
  $('#orders').prepend(item);
  $('#orders-empty').hidden = true;
  while ($('#orders').children.length > KEEP_ORDERS) $('#orders').lastElementChild.remove();
  return item;
}

function pizzaText(p) {
  const part = (label, value) => [el('b', { text: `${label} ` }), `${value || '—'}`];
  const li = el('li', { class: 'pizza' });
  li.append(...part('sauce', p.sauce), ' · ', ...part('cheese', p.cheese), ' · ',
    ...part('meats', p.meats), ' · ', ...part('veggies', p.veggies));
  return li;
}

function renderOrder(order) {
  const item = orderItem(order.id);
  const status = item.querySelector('.order-status');
  status.textContent = order.status;
  status.className = `order-status ${order.status}`;
  const done = order.pizzas.length;
  const pizzas = order.count === 1 ? 'pizza' : 'pizzas';
  item.querySelector('.order-count').textContent =
    order.status === 'complete' ? `${order.count} ${pizzas}` : `${done} of ${order.count} ${pizzas}`;
  const list = item.querySelector('.pizzas');
  // pizzas only ever arrive: append the new ones
  for (const p of order.pizzas.slice(list.children.length)) list.append(pizzaText(p));
}

function markGone(id) {
  const status = orderItem(id).querySelector('.order-status');
  status.textContent = 'expired';
  status.className = 'order-status gone';
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Follows one order until it is complete: each answer comes when a pizza
// arrives (after=N), or after WAIT_S with nothing new.
async function follow(id) {
  let have = -1;
  let backoff = 1000;
  let longPoll = true;
  for (;;) {
    const query = have >= 0 && longPoll ? `?wait=${WAIT_S}&after=${have}` : '';
    const res = await request(`/order/${encodeURIComponent(id)}${query}`);
    if (res.status === 400 && query) {
      // [orders] max_wait_s below WAIT_S: ask plainly, once a second
      longPoll = false;
    } else if (res.status === 200 && res.body) {
      renderOrder(res.body);
      have = res.body.pizzas.length;
      backoff = 1000;
      if (res.body.status === 'complete') return;
      if (!longPoll) await sleep(1000);
    } else if (res.status === 404) {
      markGone(id);
      return;
    } else {
      // 503 while restoring or Kafka is away, or no server: try again later
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 10000);
    }
  }
}

async function placeOrder(event) {
  event.preventDefault();
  const count = $('#count').value.trim();
  const button = $('#place');
  button.disabled = true;
  say('Placing the order…', 'ok');
  const res = await request(`/order/${encodeURIComponent(count)}`, { method: 'POST' });
  button.disabled = false;
  if (res.status === 201 && res.body) {
    const id = res.body.order_id;
    const what = res.body.count === 1 ? '1 pizza is' : `${res.body.count} pizzas are`;
    say(`Order ${id} placed: ${what} on the way.`, 'ok');
    storeIds([id, ...storedIds().filter((old) => old !== id)]);
    renderOrder({ id, count: res.body.count, status: 'pending', pizzas: [] });
    follow(id);
  } else if (res.status === 400) {
    say(`Not a valid order: ${errorText(res)}.`, 'error');
    $('#count').focus();
  } else if (res.status === 503 || res.status === 429) {
    const when = res.retryAfter ? ` Try again in ${res.retryAfter} s.` : '';
    const what = res.status === 503 ? 'The kitchen cannot take orders right now' : 'Too many orders';
    say(`${what}: ${errorText(res)}.${when}`, 'error');
  } else if (res.status === 0) {
    say(`pizza-service cannot be reached (${res.error}).`, 'error');
  } else {
    say(`The order failed: ${errorText(res)}.`, 'error');
  }
}

// ---- cheese report

function renderReport(counts) {
  const chart = $('#report-chart');
  const names = Object.keys(counts).sort();
  const max = Math.max(1, ...names.map((n) => counts[n]));
  for (const name of names) {
    let bar = chart.querySelector(`.bar[data-cheese="${CSS.escape(name)}"]`);
    if (!bar) {
      bar = el('div', { class: 'bar', 'data-cheese': name },
        el('span', { class: 'bar-name', text: name }),
        el('span', { class: 'bar-track' }, el('span', { class: 'bar-fill' })),
        el('span', { class: 'bar-count' }));
      // keep the bars in name order
      const next = [...chart.children].find((b) => b.dataset.cheese > name);
      chart.insertBefore(bar, next || null);
    }
    bar.dataset.count = String(counts[name]);
    bar.querySelector('.bar-count').textContent = String(counts[name]);
    bar.querySelector('.bar-fill').style.width = `${(100 * counts[name]) / max}%`;
  }
  const summary = names.map((n) => `${n}: ${counts[n]}`).join(', ');
  chart.setAttribute('aria-label', summary ? `Cheese counts. ${summary}` : 'No cheese counted yet');
}

async function refreshReport() {
  const res = await request(reportUrl());
  const status = $('#report-status');
  if (res.status === 200 && res.body && typeof res.body === 'object') {
    renderReport(res.body);
    status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    status.className = 'hint';
  } else {
    status.textContent = res.status === 0
      ? 'The cheese report cannot be reached (cheese-reporter down, or not on port 5001?).'
      : `The cheese report is not available: ${errorText(res)}.`;
    status.className = 'hint error';
  }
}

// ---- pipeline

const number = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString());

function hopRow(hop) {
  let row = document.querySelector(`tr.hop[data-stage="${CSS.escape(hop.stage)}"]`);
  if (row) return row;
  row = el('tr', { class: 'hop', 'data-stage': hop.stage },
    el('th', { scope: 'row', text: hop.stage }),
    el('td', { class: 'topics' }),
    el('td', { class: 'ready' }, el('span', { class: 'ready-badge' })),
    el('td', { class: 'lag' }),
    el('td', { class: 'rate' }),
    el('td', { class: 'dlq' }));
  $('#pipeline-table tbody').append(row);
  return row;
}

function renderPipeline(doc) {
  const seen = new Set();
  for (const hop of doc.hops) {
    seen.add(hop.stage);
    const row = hopRow(hop);
    row.querySelector('.topics').textContent = `${hop.input_topic} → ${hop.output_topic}`;
    // ready is null when Kafka could not describe the group
    const ready = hop.ready === true;
    const badge = row.querySelector('.ready-badge');
    badge.textContent = hop.ready === null || hop.ready === undefined ? 'unknown'
      : ready ? 'ready' : 'not ready';
    badge.title = hop.state ? `group ${hop.group}: ${hop.state}, ${hop.members} members` : '';
    const lag = row.querySelector('.lag');
    lag.textContent = number(hop.lag);
    lag.dataset.lag = String(hop.lag ?? '');
    row.querySelector('.rate').textContent =
      hop.events_per_s === null || hop.events_per_s === undefined ? '—' : hop.events_per_s.toFixed(1);
    const dlq = row.querySelector('.dlq');
    dlq.textContent = number(hop.dead_letters);
    dlq.dataset.dlq = String(hop.dead_letters ?? '');
    dlq.title = hop.dead_letter_topic || '';
    dlq.classList.toggle('some', hop.dead_letters > 0);
    row.classList.toggle('stalled', !ready);
    row.classList.toggle('backlog', hop.lag > 0);
    row.classList.remove('stale');
  }
  for (const row of document.querySelectorAll('tr.hop')) {
    if (!seen.has(row.dataset.stage)) row.remove();
  }
}

async function refreshPipeline() {
  const res = await request('/pipeline');
  const status = $('#pipeline-status');
  if (res.status === 200 && res.body && Array.isArray(res.body.hops)) {
    renderPipeline(res.body);
    status.textContent = `Read from Kafka at ${new Date(res.body.updated_at).toLocaleTimeString()}`;
    status.className = 'hint';
  } else {
    status.textContent = res.status === 0
      ? `pizza-service cannot be reached (${res.error}).`
      : `The pipeline cannot be read right now: ${errorText(res)}.`;
    status.className = 'hint error';
    // the last sample is all there is: grey it out rather than show it as now
    for (const row of document.querySelectorAll('tr.hop')) {
      row.classList.add('stale');
      row.querySelector('.ready-badge').textContent = 'unknown';
    }
  }
}

// Runs fn every period while the page is visible; a hidden tab costs nothing.
function every(period, fn) {
  let timer = null;
  let busy = false;
  const tick = async () => {
    timer = null;
    busy = true;
    await fn();
    busy = false;
    if (!document.hidden) timer = setTimeout(tick, period);
  };
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && timer === null && !busy) tick();
  });
  tick();
}

function start() {
  $('#order-form').addEventListener('submit', placeOrder);
  const ids = storedIds();
  for (const id of [...ids].reverse()) {
    orderItem(id);
    follow(id);
  }
  every(REPORT_EVERY_MS, refreshReport);
  every(PIPELINE_EVERY_MS, refreshPipeline);
}

start();
