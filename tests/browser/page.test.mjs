// The web page of pizza-service in a real browser (run by page.sh, which owns
// the broker and the daemons): Debian's chromium, headless, driven with
// playwright-core over CDP; axe-core for accessibility. Plain node (18 and
// later) with node:assert, no test runner. Any console error, page error,
// failed request (but one the page cancels itself) or HTTP error answer that
// the step did not provoke fails the test, as does any axe violation of impact
// serious or critical.
//
// The DOM it selects on (the page's contract with its tests):
//   form#order-form: label[for=count] "Pizzas", input#count (type=text,
//     inputmode=numeric), button#place (type=submit) "Place order"
//   #message (role=status, aria-live=polite): the last outcome in words, class
//     error (the server's 400 error text; a 503 says "Kafka" or its error) or ok
//   ul#orders > li.order[data-order-id] (newest first, kept in localStorage):
//     .order-id, .order-status ("pending" | "complete"), .order-count,
//     ul.pizzas > li.pizza (its sauce, cheese, meats, veggies in words)
//   #report-chart .bar[data-cheese][data-count]; #report-status ("updated ...")
//   table#pipeline-table tbody > tr.hop[data-stage] (class stalled when not
//     ready): td.lag[data-lag], td.rate, td.dlq[data-dlq], td.ready ("ready" |
//     "not ready"); #pipeline-status (an outage in words)
//
// Environment (page.sh sets it): PIZZA_URL (http://127.0.0.1:PORT), REPORT_URL
// (cheese-reporter's /report), CONTROL_REQ / CONTROL_REP (fifos to page.sh),
// BROWSER_NODE_MODULES, BROWSER_ARTIFACTS, CHROMIUM, PIZZA_ROOT,
// UPDATE_SCREENSHOT=1 to copy the desktop screenshot to docs/screenshot.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { createRequire } from 'node:module';

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`page.test: ${name} is not set (run tests/browser/page.sh)`);
    process.exit(2);
  }
  return v;
}
const PIZZA = need('PIZZA_URL');
const REPORT = need('REPORT_URL');
const ARTIFACTS = need('BROWSER_ARTIFACTS');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const require = createRequire(path.join(need('BROWSER_NODE_MODULES'), 'page.test.cjs'));
const { chromium } = require('playwright-core');
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Bounds: each wait is generous for a loaded 2-core machine; the whole test is
// cut at TOTAL_MS (page.sh's ctest TIMEOUT is far above).
const WAIT_MS = 20000; // a DOM change the page makes on its own (polls of ~1 s)
const ORDER_MS = 45000; // an order through five daemons on a loaded machine
const TOTAL_MS = 170000;
const started = Date.now();
const log = (msg) => console.log(`page.test [${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}`);

// The seed's menus (services/*/main.c); meats and veggies are "a & b" or "none".
const MENU = {
  sauce: ['regular', 'light', 'extra', 'none', 'alfredo'],
  cheese: ['extra', 'none', 'three cheese', 'goat cheese'],
  meats: ['pepperoni', 'sausage', 'ham', 'anchovies', 'salami', 'bacon'],
  veggies: ['tomato', 'olives', 'onions', 'peppers', 'pineapple', 'mushrooms'],
};

// ------------------------------------------------------------ page.sh control

let controlOut;
let controlLines;
async function control(cmd) {
  if (!controlOut) {
    controlOut = fs.openSync(need('CONTROL_REQ'), fs.constants.O_WRONLY);
    // a pipe socket, not fs.createReadStream: a read pending in libuv's thread
    // pool on a fifo keeps process.exit() from returning
    const fd = fs.openSync(need('CONTROL_REP'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const rl = readline.createInterface({ input: new net.Socket({ fd, readable: true, writable: false }) });
    controlLines = rl[Symbol.asyncIterator]();
  }
  log(`control: ${cmd}`);
  fs.writeSync(controlOut, `${cmd}\n`);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`page.sh did not answer '${cmd}' within 90 s`)), 90000);
  });
  const { value } = await Promise.race([controlLines.next(), timeout]).finally(() => clearTimeout(timer));
  assert.equal(value, 'ok', `page.sh's answer to '${cmd}'`);
}

// ------------------------------------------------------------ what the browser reports

const problems = []; // what fails the test: unprovoked errors of any kind
const provoked = new Set(); // "STATUS URL" of the error answers a step provoked
let allowance = null; // {why, test(url, status)} while a step provokes errors
let closing = false; // set before the browser closes: what it aborts then is no error
const provokedLog = [];

function allowedAnswer(url, status) {
  if (closing) return true;
  if (provoked.has(`${status} ${url}`)) return true;
  if (allowance && allowance.test(new URL(url), status)) {
    provoked.add(`${status} ${url}`);
    provokedLog.push(`${status} ${url} (${allowance.why})`);
    return true;
  }
  return false;
}

function watch(page) {
  page.on('pageerror', (err) => closing || problems.push(`page error: ${err.stack || err}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error' || closing) return;
    // Chrome logs every error answer of a fetch: fine when the step provoked it
    const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
    const url = msg.location().url;
    if (m && url && allowedAnswer(url, Number(m[1]))) return;
    problems.push(`console error: ${msg.text()} (at ${url || '?'}:${msg.location().lineNumber})`);
  });
  page.on('response', (resp) => {
    const status = resp.status();
    if (status < 400 || allowedAnswer(resp.url(), status)) return;
    problems.push(`HTTP ${status} for ${resp.request().method()} ${resp.url()}`);
  });
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText ?? '?';
    // a fetch the page cancels itself (a long poll it replaces, a reload) is no failure
    if (why === 'net::ERR_ABORTED' || closing) return;
    problems.push(`request failed: ${req.method()} ${req.url()}: ${why}`);
  });
}

// each distinct problem once, with how often it was seen
function summary(list) {
  const seen = new Map();
  for (const p of list) seen.set(p, (seen.get(p) ?? 0) + 1);
  return [...seen].map(([p, n]) => (n > 1 ? `${p} (${n} times)` : p)).join('\n  ');
}

function checkProblems(step) {
  if (problems.length === 0) return;
  const all = problems.splice(0);
  assert.fail(`${step}: ${all.length} unexpected error(s) in the browser:\n  ${summary(all)}`);
}

// runs fn while error answers that match test(url, status) are expected
async function provoking(why, test, fn) {
  allowance = { why, test };
  try {
    return await fn();
  } finally {
    allowance = null;
  }
}

// ------------------------------------------------------------ waiting

// until(what, probe, ms): polls probe() (which returns [ok, state]) every 200 ms;
// fails after ms naming what and the last state seen.
async function until(what, probe, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let state;
  for (;;) {
    let ok;
    [ok, state] = await probe();
    if (ok) return state;
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${ms / 1000} s waiting for ${what}; last seen: ${JSON.stringify(state)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ------------------------------------------------------------ reading the page

const snapshot = (page) =>
  page.evaluate(() => {
    const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : null);
    const msg = document.querySelector('#message');
    return {
      message: {
        text: text(msg),
        error: !!msg && msg.classList.contains('error'),
        ok: !!msg && msg.classList.contains('ok'),
      },
      orders: [...document.querySelectorAll('#orders > li.order')].map((li) => ({
        id: li.dataset.orderId,
        idText: text(li.querySelector('.order-id')),
        status: text(li.querySelector('.order-status')),
        count: text(li.querySelector('.order-count')),
        pizzas: [...li.querySelectorAll('ul.pizzas > li.pizza')].map(text),
      })),
      bars: [...document.querySelectorAll('#report-chart .bar[data-count]')].map((b) => ({
        cheese: b.dataset.cheese,
        count: b.dataset.count,
      })),
      reportStatus: text(document.querySelector('#report-status')),
      hops: [...document.querySelectorAll('#pipeline-table tbody > tr.hop')].map((tr) => ({
        stage: tr.dataset.stage,
        lag: tr.querySelector('td.lag')?.dataset.lag ?? null,
        lagText: text(tr.querySelector('td.lag')),
        ready: text(tr.querySelector('td.ready')),
        stalled: tr.classList.contains('stalled'),
      })),
      pipelineStatus: text(document.querySelector('#pipeline-status')),
      pipelineError: !!document.querySelector('#pipeline-status.error'),
    };
  });

function chart(s) {
  const counts = {};
  for (const b of s.bars) {
    assert.match(b.count, /^[0-9]+$/, `data-count of the bar of '${b.cheese}'`);
    assert.ok(b.cheese, 'a .bar without data-cheese');
    assert.equal(counts[b.cheese], undefined, `two bars for cheese '${b.cheese}'`);
    counts[b.cheese] = Number(b.count);
  }
  return counts;
}
// #pipeline-status names an outage in words ("Kafka unreachable ...", "cannot
// be asked"); otherwise it may say when Kafka was last read, or nothing
const OUTAGE_WORDS = /unreachable|cannot|unavailable|not available|down|error|fail/i;
const pipelineOutage = (s) => s.pipelineError || OUTAGE_WORDS.test(s.pipelineStatus ?? '');
const total = (counts) => Object.values(counts).reduce((a, b) => a + b, 0);

async function getJSON(url) {
  const resp = await fetch(url, { signal: AbortSignal.timeout(10000) });
  assert.equal(resp.status, 200, `GET ${url}`);
  return resp.json();
}

// ------------------------------------------------------------ steps

// placeOrder(page, count, how): types count into #count and submits with a
// click (how = 'click') or Enter in the field ('enter'); returns the POST's
// status and body.
async function placeOrder(page, count, how = 'click') {
  const answer = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/order/${encodeURIComponent(count)}`,
    { timeout: WAIT_MS },
  );
  await page.fill('#count', String(count));
  if (how === 'enter') await page.press('#count', 'Enter');
  else await page.click('#place');
  const resp = await answer;
  let body = null;
  try {
    body = await resp.json();
  } catch {
    // asserted by the caller
  }
  return { status: resp.status(), body };
}

// the order is listed, newest first, then complete with exactly its pizzas,
// each showing its toppings (checked against GET /order/{id} and the menus)
async function expectOrderCompletes(page, id, count, newest = true) {
  await until(`order ${id} listed ${newest ? 'first ' : ''}in #orders`, async () => {
    const s = await snapshot(page);
    return [newest ? s.orders[0]?.id === id : s.orders.some((o) => o.id === id), s.orders.slice(0, 3)];
  });
  const done = await until(
    `order ${id} complete with ${count} pizzas in #orders`,
    async () => {
      const o = (await snapshot(page)).orders.find((x) => x.id === id);
      return [o && o.status === 'complete' && o.pizzas.length === count, o];
    },
    ORDER_MS,
  );
  assert.equal(done.idText, id, `.order-id of order ${id}`);
  assert.ok(done.count && done.count.includes(String(count)), `.order-count of order ${id} ('${done.count}') shows ${count}`);
  const api = await getJSON(`${PIZZA}/order/${id}`);
  assert.equal(api.status, 'complete', `GET /order/${id} status`);
  assert.equal(api.pizzas.length, count, `GET /order/${id} pizzas`);
  const unmatched = done.pizzas.map((t) => t.toLowerCase());
  for (const p of api.pizzas) {
    const parts = { sauce: [p.sauce], cheese: [p.cheese], meats: p.meats.split(' & '), veggies: p.veggies.split(' & ') };
    for (const [kind, items] of Object.entries(parts)) {
      for (const item of items) {
        assert.ok(item === 'none' || MENU[kind].includes(item), `${kind} '${item}' of pizza ${p.id} is off the menu`);
      }
    }
    const words = Object.values(parts).flat().map((w) => w.toLowerCase());
    const i = unmatched.findIndex((t) => t !== null && words.every((w) => t.includes(w)));
    assert.ok(i >= 0, `no li.pizza of order ${id} shows ${JSON.stringify(parts)}; they show ${JSON.stringify(done.pizzas)}`);
    unmatched[i] = null;
  }
  return api;
}

// the chart equals cheese-reporter's /report (the page's source), and the
// sum grew by the pizzas ordered since `before`
async function expectChart(page, before, added) {
  const want = total(before) + added;
  return until(`#report-chart to sum to ${want} pizzas (was ${total(before)}) and equal GET /report`, async () => {
    const counts = chart(await snapshot(page));
    if (total(counts) !== want) return [false, counts];
    const report = await getJSON(REPORT);
    const same = Object.keys(report).every((c) => (counts[c] ?? 0) === report[c]) &&
      Object.keys(counts).every((c) => counts[c] === (report[c] ?? 0));
    return [same, { chart: counts, report }];
  }, ORDER_MS);
}

async function axe(page, when) {
  // not page.addScriptTag: the page's Content-Security-Policy (script-src
  // 'self') rightly refuses an inline script; an evaluation from DevTools is
  // outside it, and the page keeps its CSP (bypassCSP would hide its violations)
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations'] }),
  );
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.violations.filter((v) => !bad.includes(v));
  for (const v of minor) log(`axe (${when}): ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} node(s)), not failing`);
  if (bad.length) {
    const lines = bad.map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n` +
        v.nodes.map((n) => `      ${n.target.join(' ')}: ${n.failureSummary.replace(/\n\s*/g, '; ')}`).join('\n'),
    );
    assert.fail(`axe (${when}): ${bad.length} violation(s) of impact serious or critical:\n  ${lines.join('\n  ')}`);
  }
  log(`axe (${when}): no serious or critical violation (${result.violations.length} minor)`);
}

async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  log(`screenshot ${file}`);
  return file;
}

// ------------------------------------------------------------ the test

async function run(page) {
  let step = 'load';
  const stepDone = () => {
    checkProblems(step);
    log(`ok: ${step}`);
  };

  // -- load: every part of the contract's DOM is there, the pipeline all ready
  const resp = await page.goto(`${PIZZA}/`, { waitUntil: 'load', timeout: WAIT_MS });
  assert.equal(resp.status(), 200, 'GET /');
  assert.match(resp.headers()['content-type'] ?? '', /^text\/html/, 'Content-Type of GET /');
  for (const sel of ['form#order-form', 'input#count', 'button#place', '#message', 'ul#orders', '#report',
    '#report-chart', '#report-status', '#pipeline', 'table#pipeline-table', '#pipeline-status']) {
    assert.equal(await page.locator(sel).count(), 1, `one ${sel} on the page`);
  }
  assert.equal(await page.getAttribute('#count', 'type'), 'text', '#count type');
  assert.equal(await page.getAttribute('#count', 'inputmode'), 'numeric', '#count inputmode');
  assert.equal(await page.getAttribute('#place', 'type'), 'submit', '#place type');
  assert.match(await page.locator('label[for=count]').innerText(), /Pizzas/, 'label of #count');
  assert.match(await page.locator('#place').innerText(), /Place order/, 'text of #place');
  assert.equal(await page.getAttribute('#message', 'role'), 'status', '#message role');
  assert.equal(await page.getAttribute('#message', 'aria-live'), 'polite', '#message aria-live');
  let s = await until('every hop of #pipeline-table ready with lag 0, meat-service among them', async () => {
    const x = await snapshot(page);
    const ok = x.hops.some((h) => h.stage === 'meat-service') &&
      x.hops.every((h) => h.ready === 'ready' && h.lag === '0' && !h.stalled);
    return [ok, x.hops];
  });
  const before = await until('#report-status to say "updated"', async () => {
    const x = await snapshot(page);
    return [/updated/i.test(x.reportStatus ?? ''), x];
  });
  let counts = chart(before);
  stepDone();

  // -- an order with the mouse: listed, complete with its pizzas; the chart grows
  step = 'order of 3 placed with the mouse';
  let placed = await placeOrder(page, 3);
  assert.equal(placed.status, 201, `POST /order/3: ${JSON.stringify(placed.body)}`);
  const first = placed.body.order_id;
  let api = await expectOrderCompletes(page, first, 3);
  s = await snapshot(page);
  assert.ok(!s.message.error, `#message after a 201 is no error: ${JSON.stringify(s.message)}`);
  stepDone();
  step = 'report chart grows by 3';
  const cheeses = (o) => o.pizzas.map((p) => p.cheese);
  let after = await expectChart(page, counts, 3);
  for (const c of new Set(cheeses(api))) {
    const n = cheeses(api).filter((x) => x === c).length;
    assert.equal((after.chart[c] ?? 0) - (counts[c] ?? 0), n, `bar of '${c}' grew by the order's ${n}`);
  }
  counts = after.chart;
  stepDone();

  // -- the keyboard alone: Tab reaches #count, Enter places the order
  step = 'order of 2 placed with the keyboard';
  await page.evaluate(() => document.activeElement?.blur());
  await page.locator('body').focus().catch(() => {});
  let tabs = 0;
  while ((await page.evaluate(() => document.activeElement?.id)) !== 'count') {
    assert.ok(++tabs <= 30, '#count not reached with 30 presses of Tab');
    await page.keyboard.press('Tab');
  }
  const typed = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/order/2',
    { timeout: WAIT_MS },
  );
  await page.keyboard.press('Control+A');
  await page.keyboard.type('2');
  await page.keyboard.press('Enter');
  const kresp = await typed;
  assert.equal(kresp.status(), 201, 'POST /order/2 from the keyboard');
  const second = (await kresp.json()).order_id;
  await expectOrderCompletes(page, second, 2);
  after = await expectChart(page, counts, 2);
  counts = after.chart;
  log(`#count reached with ${tabs} Tab(s)`);
  stepDone();

  // -- bad counts: the server's 400 error in #message
  step = 'bad counts answered 400 in #message';
  const listed = (await snapshot(page)).orders.length;
  for (const bad of ['abc', '0', '101']) {
    const r = await provoking(
      `POST /order/${bad} answers 400`,
      (url, status) => status === 400 && url.pathname === `/order/${encodeURIComponent(bad)}`,
      () => placeOrder(page, bad),
    );
    assert.equal(r.status, 400, `POST /order/${bad}`);
    assert.ok(r.body && typeof r.body.error === 'string', `400 body of /order/${bad}: ${JSON.stringify(r.body)}`);
    await until(`#message to show the 400 of '${bad}' as an error ('${r.body.error}')`, async () => {
      const m = (await snapshot(page)).message;
      return [m.error && !m.ok && m.text.includes(r.body.error), m];
    });
  }
  assert.equal((await snapshot(page)).orders.length, listed, 'orders listed after bad counts');
  await axe(page, 'desktop, an error in #message');
  stepDone();

  // -- a stage stopped: its hop's lag grows and it is not ready; back, it drains
  step = 'meat-service stopped: lag grows';
  await control('stop meat-service');
  const meat = (x) => x.hops.find((h) => h.stage === 'meat-service');
  await until('meat-service not ready in #pipeline-table', async () => {
    const h = meat(await snapshot(page));
    return [h && h.ready === 'not ready' && h.stalled, h];
  });
  placed = await placeOrder(page, 2);
  assert.equal(placed.status, 201, `POST /order/2 with meat-service stopped: ${JSON.stringify(placed.body)}`);
  const stuck = placed.body.order_id;
  // td.lag's text is the number, maybe with digit grouping ("1,234")
  const shown = (h) => h && h.lag !== '' && Number(h.lagText.replace(/[^0-9]/g, '')) === Number(h.lag);
  const lag1 = await until('meat-service lag > 0 in #pipeline-table', async () => {
    const h = meat(await snapshot(page));
    return [h && Number(h.lag) > 0 && shown(h) && h.ready === 'not ready' && h.stalled, h];
  });
  // and it keeps growing while the stage is away: the view is live
  placed = await placeOrder(page, 3);
  assert.equal(placed.status, 201, `POST /order/3 with meat-service stopped: ${JSON.stringify(placed.body)}`);
  const stuck2 = placed.body.order_id;
  await until(`meat-service lag above ${lag1.lag} after 3 more pizzas`, async () => {
    const h = meat(await snapshot(page));
    return [h && Number(h.lag) > Number(lag1.lag) && shown(h) && h.ready === 'not ready' && h.stalled, h];
  });
  s = await snapshot(page);
  for (const id of [stuck, stuck2]) {
    assert.equal(s.orders.find((o) => o.id === id)?.status, 'pending', `order ${id} waiting for meat-service`);
  }
  stepDone();
  step = 'meat-service restarted: lag drains';
  await control('start meat-service');
  await until('meat-service ready with lag 0 in #pipeline-table', async () => {
    const h = meat(await snapshot(page));
    return [h && h.lag === '0' && h.ready === 'ready' && !h.stalled, h];
  }, ORDER_MS);
  await expectOrderCompletes(page, stuck2, 3);
  await expectOrderCompletes(page, stuck, 2, false);
  s = await snapshot(page);
  assert.deepEqual(s.orders.slice(0, 2).map((o) => o.id), [stuck2, stuck], 'newest order first in #orders');
  after = await expectChart(page, counts, 5);
  counts = after.chart;
  stepDone();

  // -- the whole cluster down: 503 in words; up again: an order completes
  step = 'Kafka down: 503 in words';
  // while Kafka is down, POST /order/N and GET /pipeline answer 503; nothing
  // else may (GET /order/{id} and /report answer from memory)
  const outage = (url, status) => status === 503 && /^\/(order\/[0-9]+|pipeline)$/.test(url.pathname);
  await provoking('Kafka is down', outage, async () => {
    await control('broker down');
    await until('#pipeline-status to name the outage', async () => {
      const x = await snapshot(page);
      return [pipelineOutage(x), x.pipelineStatus];
    }, 45000);
    await until('pizza-service to answer POST /order/1 with 503 (checked from outside the page)', async () => {
      const r = await fetch(`${PIZZA}/ready`, { signal: AbortSignal.timeout(10000) });
      return [r.status === 503, r.status];
    }, 45000);
    const down = await placeOrder(page, 1);
    assert.equal(down.status, 503, `POST /order/1 with Kafka down: ${JSON.stringify(down.body)}`);
    await until('#message to show the 503 in words', async () => {
      const m = (await snapshot(page)).message;
      const words = m.text ?? '';
      return [m.error && !m.ok && (/kafka/i.test(words) || (down.body?.error && words.includes(down.body.error))), m];
    });
    await screenshot(page, 'desktop-kafka-down.png');
    checkProblems(step);
    log(`ok: ${step}`);
    step = 'Kafka up: recovered';
    await control('broker up');
    await until('#pipeline-status to clear, every hop ready', async () => {
      const x = await snapshot(page);
      return [!pipelineOutage(x) && x.hops.length > 0 && x.hops.every((h) => h.ready === 'ready'), x];
    }, 60000);
  });
  placed = await placeOrder(page, 1);
  assert.equal(placed.status, 201, `POST /order/1 after Kafka came back: ${JSON.stringify(placed.body)}`);
  await expectOrderCompletes(page, placed.body.order_id, 1);
  s = await snapshot(page);
  assert.ok(!s.message.error && (s.message.ok || s.message.text === ''), `#message after recovery: ${JSON.stringify(s.message)}`);
  assert.ok(!pipelineOutage(s), `#pipeline-status after recovery: '${s.pipelineStatus}'`);
  after = await expectChart(page, counts, 1);
  counts = after.chart;
  await until('#report-status to say "updated" again', async () => {
    const x = await snapshot(page);
    return [/updated/i.test(x.reportStatus ?? ''), x.reportStatus];
  });
  stepDone();

  // -- a reload keeps this browser's orders (localStorage "pizza-orders")
  step = 'reload keeps the orders';
  const mine = (await snapshot(page)).orders.map((o) => o.id);
  await page.reload({ waitUntil: 'load', timeout: WAIT_MS });
  await until(`the same ${mine.length} orders listed after a reload, all complete`, async () => {
    const o = (await snapshot(page)).orders;
    return [JSON.stringify(o.map((x) => x.id)) === JSON.stringify(mine) && o.every((x) => x.status === 'complete'), o];
  });
  await until('the chart after a reload', async () => {
    const c = chart(await snapshot(page));
    return [total(c) === total(counts), c];
  });
  stepDone();

  // -- accessibility and looks on a desktop and a phone
  step = 'desktop: axe, screenshot';
  await axe(page, 'desktop');
  const desktop = await screenshot(page, 'desktop.png');
  stepDone();
  step = 'phone: layout, axe, screenshot';
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300); // a layout pass; nothing to wait for
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow} px wider than a 390 px phone (horizontal scroll)`);
  const tap = await page.locator('#place').boundingBox();
  assert.ok(tap && tap.height >= 24 && tap.width >= 24, `#place is too small to tap: ${JSON.stringify(tap)}`);
  await axe(page, 'phone');
  await screenshot(page, 'phone.png');
  stepDone();

  if (process.env.UPDATE_SCREENSHOT === '1') {
    const dest = path.join(need('PIZZA_ROOT'), 'docs', 'screenshot.png');
    fs.copyFileSync(desktop, dest);
    log(`copied ${desktop} to ${dest} (UPDATE_SCREENSHOT=1)`);
  }
  if (provokedLog.length) log(`error answers the steps provoked (allowed):\n  ${provokedLog.join('\n  ')}`);
}

async function main() {
  const watchdog = setTimeout(() => {
    console.error(`page.test: FAIL: still running after ${TOTAL_MS / 1000} s`);
    process.exit(1);
  }, TOTAL_MS);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 60000 });
  log(`chromium ${browser.version()}, playwright-core ${require('playwright-core/package.json').version}, node ${process.version}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  watch(page);
  let rc = 0;
  try {
    await run(page);
    checkProblems('the end');
    log(`PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    rc = 1;
    console.error(`page.test: FAIL: ${err.stack || err}`);
    if (problems.length) console.error(`page.test: also seen in the browser:\n  ${summary(problems)}`);
    try {
      await page.screenshot({ path: path.join(ARTIFACTS, 'failure.png'), fullPage: true, timeout: 10000 });
      fs.writeFileSync(path.join(ARTIFACTS, 'failure.html'), await page.content());
      console.error(`page.test: the page at the failure: ${ARTIFACTS}/failure.png, failure.html`);
    } catch (e) {
      console.error(`page.test: no failure screenshot: ${e.message}`);
    }
  }
  // nothing after this counts: closing aborts the page's requests
  closing = true;
  await browser.close().catch(() => {});
  clearTimeout(watchdog);
  process.exit(rc);
}

main().catch((err) => {
  console.error(`page.test: FAIL: ${err.stack || err}`);
  process.exit(1);
});
