#!/usr/bin/env node
// A real browser drives Tessera's operator console (GET /console): Debian's Chromium, headless,
// driven by playwright-core. It opens the page with a token, waits until the given room and its
// participants are listed, then does what the test asks on stdin, through the page's own
// controls (buttons, the layout <select>, the preview toggle), and reports, as JSON lines on
// stdout, what the page did and shows: the API requests it made and their answers, its status
// and notice lines, its tables, and the colour at given points of the preview <video>.
//
// Waits poll a condition with a deadline; nothing sleeps to let something happen.
//
// usage: node console.mjs --url http://127.0.0.1:PORT/console
//          [--token TOKEN | env TESSERA_TOKEN] [--token-via fragment|form]
//          [--room ROOM] [--participants NAME,NAME...] [--points JSON] [--tolerance 48]
//          [--timeout 60] [--commands] [--expect-refusal] [--page-file console.html]
//          [--screenshot FILE.png] [--save-frame FILE.png] [--chromium /usr/bin/chromium]
//          [--relay]
//
//   --room, --participants  what must be listed before the first report ("ready"); the room is
//                  opened (its row's button clicked).
//   --commands     after the first report, read commands on stdin, one a line, each answered by
//                  one JSON line (end of input is "quit"):
//                    state                       what the page shows now
//                    select ROOM                 open ROOM
//                    mute|unmute|deafen|undeafen|kick ID-OR-NAME
//                                                click that participant's button (a kick's
//                                                confirmation is accepted); waits for the API's
//                                                answer and for the table to show the result
//                    layout NAME                 choose NAME in the layout <select>
//                    preview [ROOM]              turn the preview on (opening ROOM first) and
//                                                sample --points of its video until they match
//                    sample                      sample the preview again
//                    preview-off                 turn the preview off: the WHEP DELETE's status
//                    quit                        (a preview still on is turned off first)
//   --relay        the preview's media only through the TURN servers the node names (#relay=1);
//                  the preview's report says its selected pair's local candidate type (`path`).
//   --points       where to read the preview, in fractions of its frame (0..1); a point with
//                  "rgb" is an expectation: sampling goes on until every such point is within
//                  --tolerance (per channel) of its colour, or the deadline passes.
//   --expect-refusal  the token must be refused: waits for the page's state "error" and reports
//                  its status line and the problem the server answered.
//   --page-file    serve this file as the console page instead of the server's (to try a page
//                  without rebuilding the server; the server's headers, CSP included, are
//                  imitated).
//
// Every report carries the page's state: "status" is its status line, "notice" the outcome of
// the last action; an action's report adds "ok", "httpStatus" (the API's answer), "problem" (the
// RFC 9457 problem of a refusal) and "shown" (the page's table shows the result).
//
// Exit status: 0 the expectation was met (ready, or the refusal seen) and no command failed to
// run, 1 otherwise (the report says what was seen), 2 usage or launch errors. An action the API
// refuses is a report ({"ok": false, "problem": ...}), not a failure of this script.
import { createInterface } from 'node:readline';

import { deadlineAfter, launchChromium, matchesPoints, optionsOrExit, output, poll,
         sampleVideo, saveVideoFrame, servePageFile } from './common.mjs';

const USAGE = 'usage: node console.mjs --url URL [--token T] [--token-via fragment|form] ' +
    '[--room R] [--participants A,B] [--points JSON] [--tolerance N] [--timeout S] [--commands] ' +
    '[--expect-refusal] [--page-file F] [--screenshot F.png] [--save-frame F.png] ' +
    '[--chromium PATH] [--relay]';
const PARTICIPANT_ACTIONS = ['mute', 'unmute', 'deafen', 'undeafen', 'kick'];

const opts = optionsOrExit('console.mjs', USAGE, {
  flags: ['commands', 'expect-refusal', 'relay'],
  valued: ['room', 'participants', 'screenshot', 'save-frame'],
  defaults: { participants: '' },
});
opts.participants = opts.participants.split(',').map(s => s.trim()).filter(Boolean);
const { emit, log } = output('console.mjs', opts.token);

// As browser.mjs launches it, without a camera or microphone: the console only watches.
const { page, shutdown } = await launchChromium(opts, emit, { viewport: { width: 1400, height: 900 } });
const consoleLines = [];
const remember = line => {
  consoleLines.push(line.slice(0, 300));
  if (consoleLines.length > 30) consoleLines.shift();
};
page.on('console', m => remember(`${m.type()}: ${m.text()}`));
page.on('pageerror', e => remember(`pageerror: ${e.message}`));
// A kick asks for confirmation: accepted, and remembered.
const dialogs = [];
page.on('dialog', d => { dialogs.push({ type: d.type(), message: d.message() }); d.accept(); });
// The page's API and WHEP requests and their answers (paths only: no token is ever in a URL).
const requests = [];
page.on('response', r => {
  const u = new URL(r.url());
  if (/^\/(v1|whep|whip)\//.test(u.pathname)) {
    requests.push({ method: r.request().method(), path: u.pathname, status: r.status() });
  }
});

const consoleUrl = new URL(opts.url);
consoleUrl.hash = '';
if (opts['page-file']) await servePageFile(page, consoleUrl.href, opts['page-file']);

// What the page shows and holds now: its state, lines, tables (as the DOM shows them) and the
// JSON it last read.
async function pageState() {
  const st = await page.evaluate(() => {
    const c = window.tesseraConsole;
    const text = id => (document.getElementById(id) || {}).textContent || '';
    const cells = tr => Object.fromEntries([...tr.cells].map(td => [td.dataset.field,
                                                                    td.textContent]));
    return {
      state: c ? c.state() : null,
      dataState: document.body ? document.body.dataset.state : null,
      status: text('status'), notice: text('notice'), previewStatus: text('preview-status'),
      selected: c ? c.selected() : null,
      roomsShown: [...document.querySelectorAll('#rooms tbody tr[data-room]')].map(tr => ({
        room: tr.dataset.room, layout: cells(tr).layout,
        participants: Number(cells(tr).participants) })),
      participantsShown: [...document.querySelectorAll('#participants tbody tr[data-participant]')]
        .map(tr => ({ id: Number(tr.dataset.participant), name: tr.dataset.name,
                      muted: tr.dataset.muted === 'true', deaf: tr.dataset.deaf === 'true',
                      audio: cells(tr).audio, video: cells(tr).video })),
      layoutShown: (document.getElementById('layout') || {}).value || '',
      rooms: c ? c.rooms() : [], participants: c ? c.participants() : [],
      preview: c ? c.preview() : null, lastError: c ? c.lastError : null,
      lastAction: c ? c.lastAction : null,
      location: location.href,
    };
  });
  // Where the token went: never into the address (the page drops the fragment at once).
  st.urlHasToken = !!opts.token &&
      (st.location.includes(opts.token) || page.url().includes(opts.token));
  delete st.location;
  return st;
}

// The colour at each point of the preview (mean of a small patch), and the video's size.
async function sample(points) {
  return sampleVideo(page, 'preview', points);
}

function matches(sampled) {
  return matchesPoints(sampled, opts.points, opts.tolerance);
}

async function sampleUntil(deadline) {
  let last = { videoWidth: 0, videoHeight: 0, points: [] };
  await poll(async () => {
    last = await sample(opts.points);
    return matches(last);
  }, deadline, 200);
  return { ...last, matched: matches(last) };
}

async function saveFrame(path) {
  return saveVideoFrame(page, 'preview', path);
}

async function report(kind, extra = {}) {
  let st;
  try { st = await pageState(); } catch (e) { st = { pageError: e.message }; }
  // Every change the page asked for; of its polls (GETs), the last few.
  const shown = requests.filter((q, i) => q.method !== 'GET' || i >= requests.length - 10);
  return { report: kind, ...st, requests: shown, dialogs: [...dialogs],
           console: consoleLines.slice(-10), ...extra };
}

async function open() {
  const url = new URL(consoleUrl);
  const fragment = new URLSearchParams();
  if (opts['token-via'] === 'fragment' && opts.token) fragment.set('token', opts.token);
  if (opts.relay) fragment.set('relay', '1');
  url.hash = fragment.toString();
  await page.goto(url.href, { waitUntil: 'load', timeout: opts.timeout * 1000 });
  if (opts['token-via'] === 'form' && opts.token) {
    await page.fill('#token', opts.token);
    await page.click('#use-token');
  }
}

const rowOf = id => `#participants tbody tr[data-participant="${id}"]`;

// Opens a room through its row's button; true once the page lists its participants' table.
async function selectRoom(room, deadline) {
  const row = `#rooms tbody tr[data-room="${room}"]`;
  const listed = await poll(async () => (await page.$(row)) !== null, deadline);
  if (!listed) return false;
  if (await page.evaluate(() => window.tesseraConsole.selected()) !== room) {
    await page.click(`${row} button[data-action="select"]`);
  }
  return !!await poll(() => page.evaluate(r => document.getElementById('room').dataset.room === r,
                                          room), deadline);
}

// A participant given by id or by name: its id, as the page's table has it.
async function participantId(who, deadline) {
  if (/^\d+$/.test(who)) return Number(who);
  const id = await poll(() => page.evaluate(name => {
    const tr = [...document.querySelectorAll('#participants tbody tr[data-participant]')]
      .find(r => r.dataset.name === name);
    return tr ? Number(tr.dataset.participant) : null;
  }, who), deadline);
  if (id === null || id === undefined) throw new Error(`no participant ${who} in the page's table`);
  return id;
}

// The page's lastAction once an action newer than `seq` is done.
const actionAfter = (seq, deadline) => poll(() => page.evaluate(s => {
  const a = window.tesseraConsole.lastAction;
  return a && a.seq > s && a.phase === 'done' ? a : null;
}, seq), deadline);

async function participantAction(action, who, deadline) {
  const id = await participantId(who, deadline);
  const seq = (await page.evaluate(() => (window.tesseraConsole.lastAction || { seq: 0 }).seq));
  await page.click(`${rowOf(id)} button[data-action="${action}"]`, {
    timeout: Math.max(1, deadline - Date.now()) });
  const done = await actionAfter(seq, deadline);
  if (!done) return { participant: id, ok: false, done: false };
  // Then the table, refreshed after the answer, shows it.
  const shown = done.ok ? !!await poll(() => page.evaluate(([sel, a]) => {
    const tr = document.querySelector(sel);
    if (a === 'kick') return !tr;
    if (!tr) return false;
    return a === 'mute' || a === 'unmute' ? tr.dataset.muted === String(a === 'mute')
                                          : tr.dataset.deaf === String(a === 'deafen');
  }, [rowOf(id), action]), deadline) : false;
  return { participant: id, ok: done.ok, httpStatus: done.status, problem: done.problem, shown };
}

async function layoutAction(name, deadline) {
  const seq = (await page.evaluate(() => (window.tesseraConsole.lastAction || { seq: 0 }).seq));
  await page.selectOption('#layout', name, { timeout: Math.max(1, deadline - Date.now()) });
  const done = await actionAfter(seq, deadline);
  if (!done) return { layout: name, ok: false, done: false };
  const shown = done.ok ? !!await poll(() => page.evaluate(n => {
    const room = document.getElementById('room').dataset.room;
    const cell = document.querySelector(
      `#rooms tbody tr[data-room="${room}"] td[data-field="layout"]`);
    return document.getElementById('layout').value === n && cell && cell.textContent === n;
  }, name), deadline) : false;
  return { layout: name, ok: done.ok, httpStatus: done.status, problem: done.problem, shown };
}

const previewState = () => page.evaluate(() => window.tesseraConsole.preview());

async function previewOn(room, deadline) {
  if (room && !(await selectRoom(room, deadline))) throw new Error(`room ${room} is not listed`);
  const st = await previewState();
  if (st.phase === 'off' || st.phase === 'failed') await page.click('#preview-toggle');
  // Live (connected, a frame shown) or failed: either ends the wait.
  const ended = await poll(async () => {
    const p = await previewState();
    return (p.phase === 'connected' && p.framed) || p.phase === 'failed' ? p : null;
  }, deadline);
  const sampled = ended && ended.phase === 'connected'
    ? await sampleUntil(deadline) : { videoWidth: 0, videoHeight: 0, points: [], matched: false };
  const extra = { live: !!ended && ended.phase === 'connected', ...sampled,
                  path: await page.evaluate(() => window.tesseraConsole.previewPath()) };
  if (opts['save-frame']) extra.frame = await saveFrame(opts['save-frame']).catch(() => null);
  return extra;
}

async function previewOff(deadline) {
  const before = requests.length;
  const st = await previewState();
  if (st.phase === 'connecting' || st.phase === 'connected') await page.click('#preview-toggle');
  const off = await poll(async () => (await previewState()).phase === 'off', deadline);
  // The DELETE's answer, once it came.
  const deleted = await poll(async () => requests.slice(before).find(
    q => q.method === 'DELETE' && q.path.startsWith('/whep/')), deadline);
  return { off: !!off, deleteStatus: deleted ? deleted.status : 0 };
}

const consoleState = () => page.evaluate(
  () => window.tesseraConsole ? window.tesseraConsole.state() : null);

async function runRefusal(deadline) {
  await open();
  const ended = await poll(async () => {
    const s = await consoleState();
    return ['error', 'ok'].includes(s) ? s : null;
  }, deadline);
  emit(await report('refusal'));
  return ended === 'error' ? 0 : 1;
}

async function runReady(deadline) {
  await open();
  const ok = await poll(async () => (await consoleState()) === 'ok', deadline);
  let opened = !opts.room, listed = !opts.participants.length;
  if (ok && opts.room) opened = await selectRoom(opts.room, deadline);
  if (opened && opts.participants.length) {
    listed = !!await poll(() => page.evaluate(names => names.every(n =>
      [...document.querySelectorAll('#participants tbody tr[data-participant]')]
        .some(tr => tr.dataset.name === n)), opts.participants), deadline);
  }
  const extra = { ok: !!ok, opened, listed };
  if (opts.screenshot) {
    extra.screenshot = await page.screenshot({ path: opts.screenshot }).then(() => opts.screenshot,
                                                                                () => null);
  }
  emit(await report('ready', extra));
  let rc = ok && opened && listed ? 0 : 1;
  if (opts.commands) rc = await commands(rc);
  return rc;
}

// Commands on stdin: the test drives the rest (it checks the server between them).
async function commands(rc) {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const raw of rl) {
    const [cmd, ...rest] = raw.trim().split(/\s+/);
    const arg = rest.join(' ');
    if (!cmd) continue;
    if (cmd === 'quit') break;
    const deadline = deadlineAfter(opts.timeout);
    try {
      if (cmd === 'state') {
        emit(await report('state'));
      } else if (cmd === 'select' && arg) {
        emit(await report('select', { opened: await selectRoom(arg, deadline) }));
      } else if (PARTICIPANT_ACTIONS.includes(cmd) && arg) {
        emit(await report(cmd, await participantAction(cmd, arg, deadline)));
      } else if (cmd === 'layout' && arg) {
        emit(await report('layout', await layoutAction(arg, deadline)));
      } else if (cmd === 'preview') {
        emit(await report('preview', await previewOn(arg, deadline)));
      } else if (cmd === 'sample') {
        emit(await report('sample', await sampleUntil(deadline)));
      } else if (cmd === 'preview-off') {
        emit(await report('preview-off', await previewOff(deadline)));
      } else {
        emit({ report: 'error', error: `unknown command or missing argument: ${raw.trim()}` });
      }
    } catch (e) {
      log(e.stack || e.message);
      emit({ report: 'error', command: raw.trim(), error: e.message.split('\n')[0],
             console: consoleLines.slice(-10) });
      rc = 1;
    }
  }
  // A preview still on is ended here (DELETE): closing the browser would leave its viewer in
  // the room until the server's consent checks time out.
  try {
    await page.evaluate(() => window.tesseraConsole && window.tesseraConsole.stopPreview());
  } catch { /* the page is gone */ }
  return rc;
}

let rc = 1;
try {
  const deadline = deadlineAfter(opts.timeout);
  rc = opts['expect-refusal'] ? await runRefusal(deadline) : await runReady(deadline);
} catch (e) {
  log(e.stack || e.message);
  emit({ report: 'error', error: e.message, console: consoleLines.slice(-10), requests });
  rc = 1;
}
await shutdown(rc);
