// What browser.mjs (the join page) and console.mjs (the operator console) share: their command
// lines, output that never carries the token, polling with deadlines, and Chromium launched
// headless by playwright-core with a fresh profile (or Firefox, by puppeteer-core over WebDriver
// BiDi: playwright-core's BiDi needs a newer Firefox than Debian's ESR).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The server's pages' headers (control/webrtc_routes.cc ServePage), imitated for --page-file.
export const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'unsafe-inline'; style-src " +
      "'unsafe-inline'; media-src 'self' blob: mediastream:; img-src 'self' data:; " +
      "connect-src 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store',
};

// --name value, --name=value and --flag; the options every driver has, checked: --url, the token
// (from --token or $TESSERA_TOKEN), --token-via, --timeout, --tolerance and --points.
export function parseCommandLine(argv, { flags, valued, defaults }) {
  const flagSet = new Set([...flags, 'help']);
  const valuedSet = new Set([...valued, 'url', 'token', 'token-via', 'points', 'tolerance',
                             'timeout', 'page-file', 'chromium', 'browser', 'firefox']);
  const opts = { tolerance: 48, timeout: 60, 'token-via': 'fragment', chromium: '/usr/bin/chromium',
                 browser: 'chromium', firefox: '/usr/bin/firefox-esr', points: '[]', ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    let name = a.slice(2), value;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    if (flagSet.has(name)) { opts[name] = true; continue; }
    if (!valuedSet.has(name)) throw new Error(`unknown option --${name}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new Error(`--${name} needs a value`);
      value = argv[++i];
    }
    opts[name] = value;
  }
  if (opts.help) return opts;
  if (!opts.url) throw new Error('--url is required');
  opts.token = opts.token ?? process.env.TESSERA_TOKEN ?? '';
  opts.tolerance = Number(opts.tolerance);
  opts.timeout = Number(opts.timeout);
  opts.points = JSON.parse(opts.points);
  if (!Array.isArray(opts.points) ||
      !opts.points.every(p => p && p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1)) {
    throw new Error('--points: a JSON list of {x, y} with fractions 0..1 (and optionally rgb)');
  }
  if (!['fragment', 'form'].includes(opts['token-via'])) {
    throw new Error('--token-via: fragment or form');
  }
  if (!['chromium', 'firefox'].includes(opts.browser)) {
    throw new Error('--browser: chromium or firefox');
  }
  return opts;
}

// The options, or exits: 2 with the usage on a mistake, 0 after --help.
export function optionsOrExit(script, usage, spec) {
  let opts;
  try {
    opts = parseCommandLine(process.argv.slice(2), spec);
  } catch (e) {
    console.error(`${script}: ${e.message}\n${usage}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(usage);
    process.exit(0);
  }
  return opts;
}

// emit (a JSON line on stdout) and log (a line on stderr): nothing printed carries the token,
// whatever an error message quotes.
export function output(script, token) {
  const redact = text => {
    let s = String(text);
    if (token) s = s.split(token).join('<token>');
    return s.replace(/#token=[^\s"'&]*/g, '#token=<token>');
  };
  return {
    emit: obj => process.stdout.write(redact(JSON.stringify(obj)) + '\n'),
    log: msg => process.stderr.write(redact(`${script}: ${msg}`) + '\n'),
  };
}

export const deadlineAfter = s => Date.now() + s * 1000;

// Polls fn (async, truthy when done) every intervalMs until the deadline; the last value.
export async function poll(fn, deadline, intervalMs = 100) {
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= deadline) return v;
    await new Promise(r => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}

// Chromium with a fresh profile, headless; extraArgs after the common ones. Exits 2 (after an
// error line) when playwright-core or Chromium is missing. Returns the context, its first page
// and shutdown(code), which SIGTERM and SIGINT also run.
export async function launchChromium(opts, emit, { extraArgs = [], viewport }) {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    emit({ error: `playwright-core is not installed (npm ci in ${import.meta.dirname}): ` +
                  e.message });
    process.exit(2);
  }
  const args = [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
    '--disable-features=WebRtcHideLocalIpsWithMdns', ...extraArgs,
  ];
  const profile = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
  let context;
  try {
    // launchPersistentContext passes the profile as --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: opts.chromium, headless: true, args, ignoreHTTPSErrors: false, viewport,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    emit({ error: `could not launch ${opts.chromium}: ${e.message.split('\n')[0]}` });
    process.exit(2);
  }
  const shutdown = async code => {
    try { await context.close(); } catch { /* already gone */ }
    rmSync(profile, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGTERM', () => { shutdown(143); });
  process.on('SIGINT', () => { shutdown(130); });
  const page = context.pages()[0] || await context.newPage();
  return { context, page, shutdown };
}

// Firefox (Debian's firefox-esr) with a fresh profile, headless, driven by puppeteer-core over
// WebDriver BiDi; `initScript` runs in every document before the page's own scripts (the camera
// it has no file for); `prefs` are more Firefox preferences. Same contract as launchChromium;
// its page answers the calls the drivers make of playwright's (goto, evaluate, screenshot, on
// console, pageerror and response), not route or fill.
export async function launchFirefox(opts, emit, { initScript, viewport, prefs = {} }) {
  let puppeteer;
  try {
    ({ default: puppeteer } = await import('puppeteer-core'));
  } catch (e) {
    emit({ error: `puppeteer-core is not installed (npm ci in ${import.meta.dirname}): ` +
                  e.message });
    process.exit(2);
  }
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox', executablePath: opts.firefox, headless: true,
      defaultViewport: viewport,
      extraPrefsFirefox: {
        'media.navigator.permission.disabled': true,  // no prompt for the camera
        'media.autoplay.default': 0,                  // the composite plays without a click
        'media.autoplay.blocking_policy': 0,
        'media.peerconnection.ice.loopback': true,    // Tessera's candidate is on 127.0.0.1
        'media.peerconnection.ice.obfuscate_host_addresses': false,
        'network.dns.disableIPv6': true,
        ...prefs,
      },
    });
  } catch (e) {
    emit({ error: `could not launch ${opts.firefox}: ${e.message.split('\n')[0]}` });
    process.exit(2);
  }
  const shutdown = async code => {
    try { await browser.close(); } catch { /* already gone */ }
    process.exit(code);
  };
  process.on('SIGTERM', () => { shutdown(143); });
  process.on('SIGINT', () => { shutdown(130); });
  const page = (await browser.pages())[0] || await browser.newPage();
  if (initScript) await page.evaluateOnNewDocument(initScript);
  return { context: browser, page, shutdown };
}

// --page-file: the page at `url` (its fragment aside) is this file, with the server's headers.
export async function servePageFile(page, url, file) {
  const at = new URL(url);
  at.hash = '';
  const body = readFileSync(file);
  await page.route(u => u.href.split('#')[0] === at.href, route => route.fulfill({
    status: 200, body, contentType: 'text/html; charset=utf-8', headers: PAGE_HEADERS,
  }));
}

// The colour at each point (fractions of the frame) of the <video> with id `videoId`: the mean of
// a small patch, read through a canvas; and the video's size.
export async function sampleVideo(page, videoId, points) {
  return page.evaluate(({ id, pts }) => {
    const v = document.getElementById(id);
    const w = v ? v.videoWidth : 0, h = v ? v.videoHeight : 0;
    if (!w || !h) return { videoWidth: w, videoHeight: h, points: [] };
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0, w, h);
    const r = Math.max(1, Math.round(Math.min(w, h) / 90));  // a patch of (2r+1)^2 pixels
    const out = pts.map(p => {
      const x = Math.min(w - 1 - r, Math.max(r, Math.round(p.x * (w - 1))));
      const y = Math.min(h - 1 - r, Math.max(r, Math.round(p.y * (h - 1))));
      const d = g.getImageData(x - r, y - r, 2 * r + 1, 2 * r + 1).data;
      const sum = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) {
        sum[0] += d[i]; sum[1] += d[i + 1]; sum[2] += d[i + 2];
      }
      const n = d.length / 4;
      return { x: p.x, y: p.y, px: [x, y], rgb: sum.map(s => Math.round(s / n)) };
    });
    return { videoWidth: w, videoHeight: h, points: out };
  }, { id: videoId, pts: points });
}

// Whether every point with an expected "rgb" was sampled within its tolerance (the point's own,
// else `tolerance`); with no expectations, whether the video had a frame at all.
export function matchesPoints(sampled, points, tolerance) {
  const expected = points.filter(p => Array.isArray(p.rgb));
  if (!expected.length) return sampled.videoWidth > 0;
  return points.every((p, i) => {
    if (!Array.isArray(p.rgb)) return true;
    const got = sampled.points[i];
    if (!got) return false;
    const tol = p.tolerance ?? tolerance;
    return p.rgb.every((want, k) => Math.abs(got.rgb[k] - want) <= tol);
  });
}

// The <video> `videoId`'s current frame written to `path` as PNG; null when it has none.
export async function saveVideoFrame(page, videoId, path) {
  const url = await page.evaluate((id) => {
    const v = document.getElementById(id);
    if (!v || !v.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth; c.height = v.videoHeight;
    c.getContext('2d').drawImage(v, 0, 0);
    return c.toDataURL('image/png');
  }, videoId);
  if (!url) return null;
  writeFileSync(path, Buffer.from(url.split(',')[1], 'base64'));
  return path;
}
