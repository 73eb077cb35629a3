#!/usr/bin/env node
// A real browser joins a Tessera room through its join page (GET /join/{room}): Debian's Chromium,
// headless, driven by playwright-core, its camera and microphone fed from files; or, with
// --browser firefox, Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi, its
// camera a canvas of one colour (--colour) and its microphone a tone (--tone): Firefox reads no
// camera from a file. It reports, as
// JSON lines on stdout, what the page received: the colour at given points of the composite
// <video>, the video's size, the page's state and status line, the HTTP answers to the page's
// WHIP/WHEP requests, and the PeerConnections' statistics.
//
// Waits poll a condition with a deadline; nothing sleeps to let something happen.
//
// usage: node browser.mjs --url http://127.0.0.1:PORT/join/ROOM
//          [--token TOKEN | env TESSERA_TOKEN] [--token-via fragment|form]
//          [--video FILE.y4m] [--audio FILE.wav]
//          [--points '[{"x":0.25,"y":0.5,"rgb":[255,0,0]}, ...]'] [--tolerance 48]
//          [--timeout 60] [--leave] [--commands] [--expect-refusal]
//          [--page-file join.html] [--save-frame FILE.png] [--screenshot FILE.png]
//          [--chromium /usr/bin/chromium] [--relay] [--tcp]
//          [--browser firefox [--firefox /usr/bin/firefox-esr] --colour R,G,B --tone HZ]
//
//   --points       where to read the composite, in fractions of its frame (0..1); a point with
//                  "rgb" is an expectation: sampling goes on until every such point is within
//                  --tolerance (per channel) of its colour, or the deadline passes.
//   --leave        after sampling, call window.tessera.leave() and report what it answered.
//   --commands     after the first report, read commands on stdin, one a line, each answered by
//                  one JSON line: "sample" (sample again), "stats", "leave", "state",
//                  "restart" (an ICE restart of both sessions, then live again),
//                  "tones F1,F2,..." (how far each frequency, in Hz, stands above the noise
//                  floor in the audio the page receives, in dB), "quit". End of input is "quit".
//   --relay        the page forces its media through the TURN servers the server names
//                  (#relay=1 in the join URL).
//   --tcp          the page uses only the node's ICE-TCP candidate (#transport=tcp).
//   --simulcast    the page sends its camera as three simulcast layers (#simulcast=1).
//   --whep-port P  the WHEP session's media goes to UDP port P on the server's address instead
//                  (the answer's UDP candidate is rewritten, its TCP one left out): an
//                  impairment relay in front of the node, as a port forward would be.
//   --whip-port P  the same for the WHIP session.
//   --wrong-fingerprint  the page's offers reach the server with their DTLS certificate's
//                  fingerprint changed (one byte): the server must refuse the handshake.
//   --expect-refusal  the join must be refused: waits for the page's state "error" and reports
//                  the status line and the HTTP status the server answered.
//   --page-file    serve this file as the join page instead of the server's (to try a page
//                  without rebuilding the server; the server's own headers are imitated).
//
// Exit status: 0 the expectation was met (live and every expected colour seen; or the refusal
// seen), 1 it was not (the report says what was seen), 2 usage or launch errors.
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

import { deadlineAfter, launchChromium, launchFirefox, matchesPoints, optionsOrExit, output,
         poll, sampleVideo, saveVideoFrame, servePageFile } from './common.mjs';

const USAGE = 'usage: node browser.mjs --url URL [--token T] [--video F.y4m] [--audio F.wav] ' +
    "[--points JSON] [--tolerance N] [--timeout S] [--leave] [--commands] [--expect-refusal] " +
    '[--page-file F] [--save-frame F.png] [--screenshot F.png] [--token-via fragment|form] ' +
  '[--chromium PATH] [--browser chromium|firefox] [--colour R,G,B] [--tone HZ]';

const opts = optionsOrExit('browser.mjs', USAGE, {
  flags: ['leave', 'commands', 'expect-refusal', 'relay', 'tcp', 'simulcast', 'wrong-fingerprint'],
  valued: ['video', 'audio', 'save-frame', 'screenshot', 'whep-port', 'whip-port', 'colour',
           'tone'],
  defaults: { colour: '255,0,0', tone: '1000' },
});
const { emit, log } = output('browser.mjs', opts.token);
const firefox = opts.browser === 'firefox';
if (firefox && (opts['page-file'] || opts['whip-port'] || opts['whep-port'] ||
                opts['token-via'] === 'form' || opts.simulcast || opts['wrong-fingerprint'])) {
  console.error('browser.mjs: --page-file, --whip-port, --whep-port, --token-via form, ' +
                '--simulcast and --wrong-fingerprint are for Chromium only');
  process.exit(2);
}

// Firefox's camera: getUserMedia answers with a canvas of one colour (a corner pixel blinks so
// that every frame is new to the encoder). Its microphone is Firefox's fake device, a tone
// (media.navigator.audio.fake_frequency): headless, without a sound server, no AudioContext runs.
function fakeCameraScript(rgb) {
  return `(() => {
    const md = navigator.mediaDevices;
    if (!md) return;
    const real = md.getUserMedia.bind(md);
    md.getUserMedia = async constraints => {
      const out = new MediaStream();
      if (constraints && constraints.audio) {
        (await real({ audio: true })).getAudioTracks().forEach(t => out.addTrack(t));
      }
      if (constraints && constraints.video) {
        const c = document.createElement('canvas');
        c.width = 640; c.height = 360;
        const g = c.getContext('2d');
        let n = 0;
        const draw = () => {
          g.fillStyle = 'rgb(${rgb.join(',')})';
          g.fillRect(0, 0, c.width, c.height);
          g.fillStyle = n++ % 2 ? '#000' : '#fff';
          g.fillRect(0, 0, 2, 2);
        };
        draw();
        setInterval(draw, 33);
        c.captureStream(30).getVideoTracks().forEach(t => out.addTrack(t));
      }
      return out;
    };
  })();`;
}

const viewport = { width: 1280, height: 800 };
let launched;
if (firefox) {
  const rgb = opts.colour.split(',').map(Number);
  if (rgb.length !== 3 || !rgb.every(v => v >= 0 && v <= 255) || !(Number(opts.tone) > 0)) {
    console.error('browser.mjs: --colour R,G,B (0..255) and --tone HZ');
    process.exit(2);
  }
  launched = await launchFirefox(opts, emit, {
    initScript: fakeCameraScript(rgb), viewport,
    prefs: { 'media.navigator.streams.fake': true,
             'media.navigator.audio.fake_frequency': Math.round(Number(opts.tone)) },
  });
} else {
  const extraArgs = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];
  if (opts.video) extraArgs.push(`--use-file-for-fake-video-capture=${opts.video}`);
  if (opts.audio) extraArgs.push(`--use-file-for-fake-audio-capture=${opts.audio}`);
  launched = await launchChromium(opts, emit, { extraArgs, viewport });
}
const { page, shutdown } = launched;
const consoleLines = [];
page.on('console', m => {
  consoleLines.push(`${m.type()}: ${m.text()}`.slice(0, 300));
  if (consoleLines.length > 30) consoleLines.shift();
});
page.on('pageerror', e => {
  consoleLines.push(`pageerror: ${e.message}`.slice(0, 300));
  if (consoleLines.length > 30) consoleLines.shift();
});
// The page's WHIP/WHEP requests and their answers (paths only: no token is ever in a URL).
const requests = [];
page.on('response', r => {
  const u = new URL(r.url());
  if (/\/(whip|whep)\//.test(u.pathname)) {
    requests.push({ method: r.request().method(), path: u.pathname, status: r.status() });
  }
});

const joinUrl = new URL(opts.url);
joinUrl.hash = '';
if (opts['page-file']) await servePageFile(page, joinUrl.href, opts['page-file']);
// Answers' UDP candidates pointed at a relay's port (--whip-port, --whep-port).
for (const kind of ['whip', 'whep']) {
  const port = opts[`${kind}-port`];
  if (!port) continue;
  await page.route(u => u.pathname.startsWith(`/${kind}/`), async route => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    const body = (await response.text())
      .replace(/^(a=candidate:\S+ 1 udp \d+ \S+ )\d+( typ host.*)$/gim, `$1${port}$2`)
      .replace(/^a=candidate:\S+ 1 tcp .*\r?\n/gim, '');
    return route.fulfill({ response, body });
  });
}

// --wrong-fingerprint: every a=fingerprint of the offers changed on the way (its first hex
// byte), as a man in the middle who swapped the certificate would have to.
if (opts['wrong-fingerprint']) {
  await page.route(u => /^\/(whip|whep)\/[^/]+$/.test(u.pathname), async route => {
    const req = route.request();
    if (req.method() !== 'POST') return route.continue();
    const body = (req.postData() || '').replace(
        /^(a=fingerprint:sha-256 )([0-9A-F]{2})/gmi,
        (_, head, byte) => head + (byte.toUpperCase() === '00' ? '01' : '00'));
    log(`${new URL(req.url()).pathname}: the offer's fingerprints ` +
        (body !== req.postData() ? 'changed' : 'not found'));
    return route.continue({ postData: body });
  });
}

// What the page shows and holds now.
async function pageState() {
  return page.evaluate(() => ({
    state: window.tessera ? window.tessera.state() : null,
    dataState: document.body ? document.body.dataset.state : null,
    status: (document.getElementById('status') || {}).textContent || '',
    whipLocation: window.tessera ? window.tessera.whipLocation : null,
    whepLocation: window.tessera ? window.tessera.whepLocation : null,
    lastError: window.tessera ? window.tessera.lastError : null,
    iceServers: window.tessera ? window.tessera.iceServers : null,
    timings: window.tessera ? window.tessera.timings : null,
    // The WHEP session's ICE ufrags: Tessera's (from its answer) and the browser's.
    ...(() => {
      const pc = window.tessera && window.tessera.peerConnections.whep;
      const ufrag = d => (d && /a=ice-ufrag:(\S+)/.exec(d.sdp) || [])[1] || null;
      return { serverUfrag: pc ? ufrag(pc.remoteDescription) : null,
               browserUfrag: pc ? ufrag(pc.localDescription) : null };
    })(),
  }));
}

// The colour at each point of the composite (mean of a small patch), and the video's size.
async function sample(points) {
  return sampleVideo(page, 'composite', points);
}

function matches(sampled) {
  return matchesPoints(sampled, opts.points, opts.tolerance);
}

// inbound-rtp of the WHEP session, outbound-rtp of the WHIP session, and their states.
async function stats() {
  return page.evaluate(async () => {
    const pcs = window.tessera ? window.tessera.peerConnections : {};
    const out = {};
    for (const name of ['whip', 'whep']) {
      const pc = pcs[name];
      if (!pc) { out[name] = null; continue; }
      const report = await pc.getStats();
      const codecs = {};
      report.forEach(s => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
      const answer = pc.remoteDescription ? pc.remoteDescription.sdp : '';
      const entry = { connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
                      // RTX as Tessera answered it (codec stats list only codecs a stream used)
                      answeredRtx: /^a=rtpmap:\d+ rtx\/90000/m.test(answer),
                      rtxStream: /^a=ssrc-group:FID /m.test(answer) };
      // The selected candidate pair: relay when the media goes through TURN.
      report.forEach(s => {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
        const pair = report.get(s.selectedCandidatePairId);
        const local = pair && report.get(pair.localCandidateId);
        const remote = pair && report.get(pair.remoteCandidateId);
        entry.selectedPair = s.selectedCandidatePairId;
        entry.availableOutgoingBitrate = pair ? pair.availableOutgoingBitrate : null;
        entry.pairResponses = pair ? pair.responsesReceived : 0;
        entry.localCandidateType = local ? local.candidateType : null;
        entry.protocol = local ? local.protocol : null;
        entry.remoteCandidate = remote ? `${remote.address}:${remote.port}` : null;
      });
      report.forEach(s => {
        if (s.type === 'inbound-rtp') {
          entry[`inbound_${s.kind}`] = {
            packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived,
            packetsLost: s.packetsLost, codec: codecs[s.codecId] || null,
            ...(s.kind === 'video' ? { framesDecoded: s.framesDecoded, frameWidth: s.frameWidth,
                                       frameHeight: s.frameHeight, keyFramesDecoded: s.keyFramesDecoded,
                                       pliCount: s.pliCount, freezeCount: s.freezeCount,
                                       totalFreezesDuration: s.totalFreezesDuration } :
                                     { totalSamplesReceived: s.totalSamplesReceived,
                                       audioLevel: s.audioLevel }),
          };
        } else if (s.type === 'outbound-rtp') {
          entry[`outbound_${s.kind}`] = {
            packetsSent: s.packetsSent, bytesSent: s.bytesSent, codec: codecs[s.codecId] || null,
            ...(s.kind === 'video' ? { framesEncoded: s.framesEncoded, frameWidth: s.frameWidth,
                                       frameHeight: s.frameHeight } : {}),
          };
        }
      });
      out[name] = entry;
    }
    return out;
  });
}

async function saveFrame(path) {
  return saveVideoFrame(page, 'composite', path);
}

async function report(kind, extra = {}) {
  let st = {}, sampled = { videoWidth: 0, videoHeight: 0, points: [] }, st2 = {};
  try { st = await pageState(); } catch (e) { st = { error: e.message }; }
  try { st2 = await stats(); } catch (e) { st2 = { error: e.message }; }
  if (kind !== 'refusal') {
    try { sampled = await sample(opts.points); } catch (e) { sampled.error = e.message; }
  }
  return { report: kind, ...st, videoWidth: sampled.videoWidth, videoHeight: sampled.videoHeight,
           points: sampled.points, stats: st2, requests: [...requests],
           console: consoleLines.slice(-10), ...extra };
}

async function open() {
  const url = new URL(joinUrl);
  const fragment = new URLSearchParams();
  if (opts['token-via'] === 'fragment' && opts.token) fragment.set('token', opts.token);
  if (opts.relay) fragment.set('relay', '1');
  if (opts.tcp) fragment.set('transport', 'tcp');
  if (opts.simulcast) fragment.set('simulcast', '1');
  url.hash = fragment.toString();
  await page.goto(url.href, { waitUntil: 'load', timeout: opts.timeout * 1000 });
  if (opts['token-via'] === 'form' && opts.token) {
    await page.fill('#token', opts.token);
    await page.click('#join');
  }
}

async function runRefusal(deadline) {
  await open();
  const ended = await poll(async () => {
    const s = await pageState();
    return ['error', 'live'].includes(s.state) ? s : null;
  }, deadline);
  const r = await report('refusal');
  emit(r);
  return ended && ended.state === 'error' ? 0 : 1;
}

async function sampleUntil(deadline) {
  let last = null;
  await poll(async () => {
    last = await sample(opts.points);
    return matches(last);
  }, deadline, 200);
  return last && matches(last);
}

// An ICE restart of both sessions (PATCH on each resource), then until the page is live again
// with both PeerConnections connected.
async function restart(deadline) {
  const answered = await page.evaluate(() => window.tessera.restartIce());
  const live = await poll(async () => {
    const st = await pageState();
    const s = await stats();
    return st.state === 'live' && s.whip && s.whep && s.whip.connectionState === 'connected' &&
        s.whep.connectionState === 'connected';
  }, deadline, 100);
  return { answered, live: !!live, ...await pageState(), stats: await stats(),
           requests: [...requests] };
}

// The received mix's spectrum over `ms`: for each frequency, its level above the median of the
// 100 Hz - 4 kHz band, in dB (a tone in the mix stands 30 dB or more above; an absent one near 0).
async function tones(freqs, ms) {
  return page.evaluate(async ({ freqs, ms }) => {
    const v = document.getElementById('composite');
    const stream = v && v.srcObject;
    if (!stream || !stream.getAudioTracks().length) return { error: 'no audio received' };
    const ctx = new AudioContext();
    await ctx.resume();
    const src = ctx.createMediaStreamSource(new MediaStream(stream.getAudioTracks()));
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    src.connect(an);
    const bins = new Float32Array(an.frequencyBinCount);
    const power = new Float64Array(an.frequencyBinCount);
    let frames = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      await new Promise(r => setTimeout(r, 50));  // the analyser's window is ~170 ms
      an.getFloatFrequencyData(bins);
      for (let i = 0; i < bins.length; i++) power[i] += Math.pow(10, bins[i] / 10);
      frames++;
    }
    src.disconnect();
    await ctx.close();
    const hz = ctx.sampleRate / an.fftSize;
    const db = i => 10 * Math.log10(power[i] / frames + 1e-30);
    const band = [];
    for (let i = Math.ceil(100 / hz); i <= Math.floor(4000 / hz); i++) band.push(db(i));
    band.sort((a, b) => a - b);
    const floor = band[Math.floor(band.length / 2)];
    const out = {};
    for (const f of freqs) {
      const c = Math.round(f / hz);
      let peak = -Infinity;
      for (let i = Math.max(0, c - 2); i <= c + 2; i++) peak = Math.max(peak, db(i));
      out[f] = Math.round((peak - floor) * 10) / 10;
    }
    return { aboveFloorDb: out, frames, floorDb: Math.round(floor) };
  }, { freqs, ms });
}

// Firefox: no AudioContext runs headless, so the mix is recorded instead (MediaRecorder, Ogg
// Opus), decoded by ffmpeg and measured here: each frequency's level (Goertzel, Hann window)
// above the median level of 100 Hz - 4 kHz in 10 Hz steps, in dB: the same scale as tones().
async function recordedTones(freqs, ms) {
  const b64 = await page.evaluate(async ms => {
    const v = document.getElementById('composite');
    const stream = v && v.srcObject;
    if (!stream || !stream.getAudioTracks().length) return null;
    const rec = new MediaRecorder(new MediaStream(stream.getAudioTracks()),
                                  { mimeType: 'audio/ogg; codecs=opus' });
    const chunks = [];
    rec.ondataavailable = e => chunks.push(e.data);
    const stopped = new Promise(resolve => { rec.onstop = resolve; });
    rec.start();
    await new Promise(resolve => setTimeout(resolve, ms));  // the length of the recording
    rec.stop();
    await stopped;
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(bin);
  }, ms);
  if (!b64) return { error: 'no audio received' };
  const rate = 48000;
  const decoded = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0',
                                       '-ac', '1', '-ar', String(rate), '-f', 's16le', 'pipe:1'],
                            { input: Buffer.from(b64, 'base64'), maxBuffer: 64 << 20 });
  if (decoded.status !== 0) {
    return { error: `ffmpeg could not decode the recorded mix: ${decoded.stderr}` };
  }
  const n = decoded.stdout.length >> 1;
  if (n < rate / 2) return { error: `only ${n} samples recorded` };
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hann = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1));
    x[i] = decoded.stdout.readInt16LE(2 * i) / 32768 * hann;
  }
  const level = f => {
    const k = 2 * Math.cos(2 * Math.PI * f / rate);
    let s1 = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const s0 = x[i] + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    return 10 * Math.log10((s1 * s1 + s2 * s2 - k * s1 * s2) / (n * n) + 1e-30);
  };
  const band = [];
  for (let f = 100; f <= 4000; f += 10) band.push(level(f));
  band.sort((a, b) => a - b);
  const floor = band[band.length >> 1];
  const out = {};
  for (const f of freqs) out[f] = Math.round((level(f) - floor) * 10) / 10;
  return { aboveFloorDb: out, seconds: Math.round(n / rate * 10) / 10, floorDb: Math.round(floor) };
}

async function leave() {
  const answered = await page.evaluate(() => window.tessera.leave());
  const after = await pageState();
  return { leave: answered, ...after, requests: [...requests] };
}

async function runJoin(deadline) {
  await open();
  const live = await poll(async () => (await pageState()).state === 'live', deadline, 100);
  const seen = live ? await sampleUntil(deadline) : false;
  const extra = { live: !!live, matched: !!seen };
  if (opts['save-frame']) extra.frame = await saveFrame(opts['save-frame']).catch(() => null);
  if (opts.screenshot) {
    extra.screenshot = await page.screenshot({ path: opts.screenshot }).then(() => opts.screenshot,
                                                                                () => null);
  }
  emit(await report('join', extra));
  let rc = live && seen ? 0 : 1;
  if (opts.leave) emit({ report: 'leave', ...await leave() });
  if (opts.commands) rc = await commands(rc);
  return rc;
}

// Commands on stdin: the test drives the rest (it checks the server between them).
async function commands(rc) {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const raw of rl) {
    const cmd = raw.trim();
    if (!cmd) continue;
    try {
      if (cmd === 'quit') break;
      if (cmd === 'sample') {
        const ok = await sampleUntil(deadlineAfter(opts.timeout));
        emit(await report('sample', { matched: ok }));
      } else if (cmd === 'stats') {
        emit({ report: 'stats', stats: await stats() });
      } else if (cmd === 'state') {
        emit({ report: 'state', ...await pageState(), requests: [...requests] });
      } else if (cmd === 'leave') {
        emit({ report: 'leave', ...await leave() });
      } else if (cmd === 'restart') {
        emit({ report: 'restart', ...await restart(deadlineAfter(opts.timeout)) });
      } else if (cmd.startsWith('tones ')) {
        const freqs = cmd.slice(6).split(',').map(Number).filter(f => f > 0);
        emit({ report: 'tones', ...await (firefox ? recordedTones : tones)(freqs, 2000) });
      } else {
        emit({ report: 'error', error: `unknown command ${cmd}` });
      }
    } catch (e) {
      emit({ report: 'error', command: cmd, error: e.message });
      rc = 1;
    }
  }
  return rc;
}

let rc = 1;
try {
  const deadline = deadlineAfter(opts.timeout);
  rc = opts['expect-refusal'] ? await runRefusal(deadline) : await runJoin(deadline);
} catch (e) {
  log(e.stack || e.message);
  emit({ report: 'error', error: e.message, console: consoleLines.slice(-10), requests });
  rc = 1;
}
await shutdown(rc);
