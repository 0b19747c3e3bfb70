// The benchmark (issue 6), driven by bench/run.sh: relay throughput, added latency and memory of the mesh,
// side by side with nginx (proxy_pass) and the mock chain called directly, in the same run; start-up time,
// outbox replay rate, the notification check and the crypto ceiling. Writes results/<timestamp>/report.{md,json}.
// Node 18+ built-ins only. Method and numbers: docs/benchmark.md.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const o = {
    mode: 'full', keys: null, apps: null, duration: null, concurrency: null, backlog: null, out: null,
    buildDir: path.join(repo, 'build', 'bench'), profile: null, keep: false, waitQuiet: 0, wrkThreads: 1,
    pacedConnections: null, pacedRate: null, nice: process.getuid?.() === 0 ? -20 : 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case '--quick': o.mode = 'quick'; break;
      case '--smoke': o.mode = 'smoke'; break;
      case '--keys': o.keys = +next(); break;
      case '--apps': o.apps = +next(); break;
      case '--duration': o.duration = +next(); break;
      case '--concurrency': o.concurrency = next().split(',').map(Number); break;
      case '--backlog': o.backlog = +next(); break;
      case '--out': o.out = next(); break;
      case '--build-dir': o.buildDir = path.resolve(next()); break;
      case '--profile': o.profile = true; break;
      case '--no-profile': o.profile = false; break;
      case '--keep': o.keep = true; break;
      case '--wait-quiet': o.waitQuiet = +next(); break;
      case '--wrk-threads': o.wrkThreads = +next(); break;
      case '--paced-connections': o.pacedConnections = +next(); break;
      case '--paced-rate': o.pacedRate = +next(); break;
      case '--nice': o.nice = +next(); break;
      case '--no-build': break; // handled by run.sh
      default: throw new Error(`unknown option ${a} (see bench/run.sh --help)`);
    }
  }
  const preset = {
    full: { keys: 500, apps: 20, duration: 10, concurrency: [16, 64, 256], backlog: 1000000, profile: true, cryptoMs: 1000, paced: 32 },
    quick: { keys: 500, apps: 20, duration: 3, concurrency: [16, 64, 256], backlog: 20000, profile: false, cryptoMs: 500, paced: 32 },
    smoke: { keys: 20, apps: 2, duration: 1, concurrency: [4, 16], backlog: 2000, profile: false, cryptoMs: 100, paced: 8 },
  }[o.mode];
  for (const k of ['keys', 'apps', 'duration', 'concurrency', 'backlog', 'profile']) if (o[k] === null) o[k] = preset[k];
  o.cryptoMs = preset.cryptoMs;
  if (o.pacedConnections === null) o.pacedConnections = preset.paced;
  for (const k of ['keys', 'apps', 'duration', 'backlog', 'wrkThreads'])
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`--${k} must be a positive integer`);
  if (o.pacedRate !== null && (!Number.isInteger(o.pacedRate) || o.pacedRate < 1)) throw new Error('--paced-rate must be a positive integer');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
const outDir = path.resolve(opts.out ?? path.join(repo, 'results', stamp));
fs.mkdirSync(outDir, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pocket-mesh-bench.'));
const bin = {
  mesh: path.join(opts.buildDir, 'headless', 'pocket-mesh-headless'),
  localnet: path.join(opts.buildDir, 'tools', 'localnet', 'pocket-localnet'),
  relaygen: path.join(opts.buildDir, 'bench', 'bench-relaygen'),
  outboxfill: path.join(opts.buildDir, 'bench', 'bench-outboxfill'),
  sink: path.join(opts.buildDir, 'bench', 'bench-sink'),
  crypto: path.join(opts.buildDir, 'bench', 'bench-cryptobench'),
};

const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---------------------------------------------------------------- processes
const children = new Map(); // pid -> {name, proc}
function killAll(signal = 'SIGTERM') {
  for (const [pid] of children) { try { process.kill(pid, signal); } catch { /* gone */ } }
}
process.on('exit', () => { killAll('SIGKILL'); restoreAutogroup(); });
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { killAll('SIGKILL'); restoreAutogroup(); process.exit(130); });

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
const hasTaskset = !!which('taskset');
const cores = os.cpus().length;
const pin = hasTaskset && cores >= 2;
const SUT_CPU = '0';  // the mesh / nginx and the mock chain
const LOAD_CPU = '1'; // wrk, the servicer emulator, the sink, perf
// Every process of the measurement runs pinned and, as root, at nice -20 (other jobs on a shared machine
// then only get the cycles the benchmark leaves; the load average is reported either way).
const niceArgs = opts.nice ? ['nice', '-n', String(opts.nice)] : [];
// With sched_autogroup (the default), nice only ranks processes inside one session's group: other sessions
// (e.g. builds in other terminals) still get an equal share. So the session's group gets the same nice for
// the run, and its old value back at the end.
let autogroupRestore = null;
function raiseAutogroup() {
  if (!opts.nice) return 'not changed';
  try {
    const old = fs.readFileSync('/proc/self/autogroup', 'utf8').match(/nice (-?\d+)/)?.[1];
    fs.writeFileSync('/proc/self/autogroup', String(opts.nice));
    autogroupRestore = old ?? '0';
    return `nice ${opts.nice} (was ${old})`;
  } catch (e) { return `unchanged (${e.code ?? e.message})`; }
}
function restoreAutogroup() {
  if (autogroupRestore === null) return;
  try { fs.writeFileSync('/proc/self/autogroup', autogroupRestore); } catch { /* best effort */ }
  autogroupRestore = null;
}
function pinned(cpu, cmd, args) {
  const all = [...niceArgs, ...(pin ? ['taskset', '-c', cpu] : []), cmd, ...args];
  return [all[0], all.slice(1)];
}
function niced(cmd, args) { return niceArgs.length ? [niceArgs[0], [...niceArgs.slice(1), cmd, ...args]] : [cmd, args]; }

function run(cmd, args, { timeoutMs = 600000, cpu = null } = {}) {
  const [c, a] = cpu ? pinned(cpu, cmd, args) : niced(cmd, args);
  const r = spawnSync(c, a, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 << 20 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function start(name, cmd, args, { cpu = null, logFile = null } = {}) {
  const [c, a] = cpu ? pinned(cpu, cmd, args) : niced(cmd, args);
  const err = fs.openSync(logFile ?? path.join(outDir, `${name}.log`), 'a');
  const proc = spawn(c, a, { stdio: ['ignore', 'pipe', err] });
  fs.closeSync(err);
  const entry = { name, proc, stdout: '', exited: null };
  proc.stdout.on('data', (d) => { entry.stdout += d.toString(); });
  proc.on('exit', (code, sig) => { entry.exited = { code, sig }; children.delete(proc.pid); });
  children.set(proc.pid, entry);
  return entry;
}

async function readyLine(entry, timeoutMs = 30000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const nl = entry.stdout.indexOf('\n');
    if (nl >= 0) return JSON.parse(entry.stdout.slice(0, nl));
    if (entry.exited) throw new Error(`${entry.name} exited (${JSON.stringify(entry.exited)}) before its ready line`);
    await sleep(20);
  }
  throw new Error(`${entry.name}: no ready line within ${timeoutMs} ms`);
}

async function stop(entry, signal = 'SIGTERM', timeoutMs = 15000) {
  if (!entry || entry.exited) return;
  try { entry.proc.kill(signal); } catch { return; }
  const t0 = Date.now();
  while (!entry.exited && Date.now() - t0 < timeoutMs) await sleep(20);
  if (!entry.exited) { entry.proc.kill('SIGKILL'); while (!entry.exited) await sleep(20); }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

// ---------------------------------------------------------------- /proc
function procStatus(pid) {
  try {
    const t = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => { const m = t.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')); return m ? +m[1] : null; };
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), threads: +(t.match(/^Threads:\s+(\d+)/m)?.[1] ?? 0) };
  } catch { return { rssKb: null, hwmKb: null, threads: 0 }; }
}
const CLK_TCK = +(run('getconf', ['CLK_TCK']).stdout.trim() || 100);
function cpuMs(statPath) {
  try {
    const s = fs.readFileSync(statPath, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // fields from 3 (state)
    return ((+f[11]) + (+f[12])) * 1000 / CLK_TCK;          // utime + stime
  } catch { return null; }
}
function threadsOf(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map((tid) => ({
      tid, comm: fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(),
    }));
  } catch { return []; }
}
function childPids(pid) {
  const r = run('pgrep', ['-P', String(pid)]);
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

// ---------------------------------------------------------------- HTTP
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(method, url, { headers = {}, body = null, timeoutMs = 30000, useAgent = agent } = {}) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, agent: useAgent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    if (body !== null) req.write(body);
    req.end();
  });
}
async function getJson(url, headers = {}, timeoutMs = 30000) {
  const r = await request('GET', url, { headers, timeoutMs });
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status || r.error}`);
  return JSON.parse(r.body);
}
async function waitFor(fn, timeoutMs, intervalMs = 50) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) return null;
    await sleep(intervalMs);
  }
}

// Sends every line of a file once, `concurrency` requests at a time (the sessions pass: exact counts).
async function sendAll(url, file, concurrency) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const a = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = {};
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < lines.length) {
      const body = lines[next++];
      const r = await request('POST', url, { headers: { 'Content-Type': 'application/json' }, body, useAgent: a });
      const k = String(r.status || 'transport');
      statuses[k] = (statuses[k] ?? 0) + 1;
    }
  }));
  a.destroy();
  return { sent: lines.length, statuses, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------- report state
function commandLine() {
  const a = process.argv.slice(2);
  const shown = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--build-dir' || a[i] === '--out') { i++; continue; }
    shown.push(a[i]);
  }
  return `bash bench/run.sh ${shown.join(' ')}`.trim();
}
const report = {
  version: 1, mode: opts.mode, started: new Date().toISOString(), command: commandLine(),
  options: { nice: opts.nice, keys: opts.keys, apps: opts.apps, duration_s: opts.duration, concurrency: opts.concurrency, backlog: opts.backlog, wrk_threads: opts.wrkThreads, paced_connections: opts.pacedConnections, paced_rate: opts.pacedRate },
  machine: {}, setup: {}, crypto: null, startup: null, memory: {}, sessions_pass: null, runs: [], paced: [], summary: {},
  notification: null, replay: null, profile: null, targets: [], stages: [], checks: [],
};
function stage(name, ok, detail = '') {
  report.stages.push({ name, ok, detail });
  log(`${ok ? 'ok  ' : 'FAIL'} stage ${name}${detail ? ': ' + detail : ''}`);
}
function check(name, ok, detail = '') {
  report.checks.push({ name, ok, detail });
  log(`${ok ? 'ok  ' : 'FAIL'} check ${name}${detail ? ': ' + detail : ''}`);
}
function save() {
  fs.writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
}

// ---------------------------------------------------------------- machine
function firstLine(s) { return (s || '').split('\n').find((l) => l.trim()) ?? ''; }
function machineInfo() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const dpkgVersion = (p) => run('dpkg-query', ['-W', '-f=${Version}', p]).stdout.trim() || null;
  const git = (args) => run('git', ['-C', repo, ...args]).stdout.trim();
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  return {
    cores,
    cpu_model: cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    kernel: run('uname', ['-r']).stdout.trim(),
    os: firstLine(fs.existsSync('/etc/debian_version') ? 'Debian ' + fs.readFileSync('/etc/debian_version', 'utf8') : os.version()),
    memory_mb: Math.round(os.totalmem() / 1048576),
    qt: dpkgVersion('libqt6core6') ?? run('qtpaths6', ['--qt-version']).stdout.trim(),
    nginx: firstLine(run('nginx', ['-v']).stderr).replace('nginx version: ', ''),
    wrk: firstLine(run('wrk', ['-v']).stdout + run('wrk', ['-v']).stderr).replace(/\s+Copyright.*/, ''),
    sqlite: dpkgVersion('libsqlite3-0'),
    libsodium: dpkgVersion('libsodium23'),
    node: process.version,
    commit: git(['rev-parse', 'HEAD']) + (dirty ? ' (tracked files modified)' : ''),
    commit_subject: git(['log', '-1', '--format=%s']),
    build_type: (fs.readFileSync(path.join(opts.buildDir, 'CMakeCache.txt'), 'utf8').match(/^CMAKE_BUILD_TYPE:\w+=(.*)$/m) ?? [])[1] ?? '',
    pinning: (pin ? `taskset: mesh/nginx + mock-chain thread on CPU ${SUT_CPU}; wrk, servicer emulator thread, sink, perf on CPU ${LOAD_CPU}`
      : 'no pinning (taskset missing or a single core)') + (opts.nice ? `; all at nice ${opts.nice} (and their session's autogroup)` : ''),
    loadavg_start: os.loadavg().map((x) => round(x, 2)),
  };
}

// ---------------------------------------------------------------- wrk
let wrkSeq = 0;
function wrk({ label, url, file, offset = 0, mode = 'strict', rate = 0, conns, duration }) {
  const threads = Math.min(opts.wrkThreads, conns);
  const args = ['-t', String(threads), '-c', String(conns), '-d', `${duration}s`, '--timeout', '5s', '--latency',
    '-s', path.join(here, 'relay.lua'), url, '--', file, String(offset), mode, String(rate), String(threads),
    new URL(url).pathname];
  const r = run('wrk', args, { cpu: LOAD_CPU, timeoutMs: (duration + 60) * 1000 });
  fs.writeFileSync(path.join(outDir, `wrk-${String(++wrkSeq).padStart(2, '0')}-${label}.txt`), `wrk ${args.join(' ')}\n\n${r.stdout}\n${r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (!line) throw new Error(`wrk ${label}: no summary (exit ${r.status}): ${r.stderr.slice(0, 400)}`);
  const j = JSON.parse(line.slice('BENCHJSON '.length));
  const seconds = j.duration_us / 1e6;
  const st = j.statuses;
  const exhaustedAnswers = Math.min(st['404'] ?? 0, j.exhausted);
  const ok2xx = Object.entries(st).filter(([k]) => k.startsWith('2')).reduce((s, [, n]) => s + n, 0);
  const non2xx = Object.entries(st).filter(([k]) => !k.startsWith('2')).reduce((s, [, n]) => s + n, 0) - exhaustedAnswers;
  const se = j.socket_errors;
  return {
    label, conns, rate_target: rate || null, duration_s: round(seconds, 2), requests: j.requests - exhaustedAnswers,
    rps: round((j.requests - exhaustedAnswers) / seconds, 0), ok_2xx: ok2xx, errors_non_2xx: non2xx,
    socket_errors: se.connect + se.read + se.write + se.timeout, socket_errors_detail: se,
    statuses: st, p50_ms: round(j.latency_us.p50 / 1000, 3), p90_ms: round(j.latency_us.p90 / 1000, 3),
    p99_ms: round(j.latency_us.p99 / 1000, 3), p999_ms: round(j.latency_us.p999 / 1000, 3), max_ms: round(j.latency_us.max / 1000, 3),
    mean_ms: round(j.latency_us.mean / 1000, 3), exhausted: j.exhausted > 0, wraps: j.wraps, endpos: j.endpos, sent: j.sent,
  };
}

// ---------------------------------------------------------------- main
const env = {}; // processes and addresses
async function main() {
  for (const [k, p] of Object.entries(bin)) if (!fs.existsSync(p)) throw new Error(`missing ${k} binary ${p} (build first)`);
  for (const t of ['nginx', 'wrk']) if (!which(t)) throw new Error(`${t} is not installed (tools/install-deps.sh)`);
  log(`mode ${opts.mode}: ${opts.keys} keys, ${opts.apps} apps, ${opts.duration} s per load run, concurrency ${opts.concurrency.join('/')}, backlog ${opts.backlog}; results in ${outDir}; work dir ${work}`);

  if (opts.waitQuiet > 0) {
    const quiet = await waitFor(() => os.loadavg()[0] < 1.0, opts.waitQuiet * 1000, 5000);
    log(quiet ? 'machine quiet' : `machine still busy after ${opts.waitQuiet} s (load ${os.loadavg()[0].toFixed(2)}): running anyway`);
  }
  const autogroup = raiseAutogroup();
  report.machine = machineInfo();
  report.machine.autogroup = autogroup;
  save();

  // 1. Crypto ceiling on one core.
  {
    const r = run(bin.crypto, ['--ms', String(opts.cryptoMs)], { cpu: SUT_CPU });
    report.crypto = JSON.parse(firstLine(r.stdout));
    stage('crypto', r.status === 0, `verify ${report.crypto.verify_core_per_s}/s, sign ${report.crypto.sign_core_per_s}/s on one core`);
  }

  // 2. Local network: mock chain (fixed answer) + servicer emulator with the bench apps staked.
  const appKeys = run(bin.relaygen, ['--print-apps', String(opts.apps)]).stdout.split('\n').filter(Boolean);
  const dataDir = path.join(work, 'mesh');
  const localnetArgs = ['--datadir', dataDir, '--block-ms', '0', '--servicers', String(opts.keys), '--chain-fixed',
    '--chain-no-record', ...appKeys.flatMap((k) => ['--app', `${k}:1000000000`])];
  env.localnet = start('localnet', bin.localnet, localnetArgs, { cpu: SUT_CPU });
  const ln = await readyLine(env.localnet);
  // The emulator (servicer side, not the mesh's cost) goes to the load core; the mock chain stays with the mesh.
  if (pin) for (const t of threadsOf(ln.pid)) run('taskset', ['-p', '-c', t.comm === 'mock-chain' ? SUT_CPU : LOAD_CPU, t.tid]);
  const state = await getJson(`${ln.emulator_url}/admin/state`);
  const height = state.height, sessionHeight = state.latest_session_height;
  report.setup = {
    emulator_url: ln.emulator_url, chain_url: ln.chain_url, height, session_height: sessionHeight, blocks_per_session: state.blocks_per_session,
    servicer_keys: opts.keys, apps: opts.apps, app_max_relays: 1000000000, chain: '0021',
    localnet_args: localnetArgs.filter((a) => !a.startsWith(work)).join(' ').replace(/(--app \w{8})\w+:\d+/g, '$1…').replace(/( --app \w{8}…)+/, ' --app <20 bench apps>:1000000000'),
  };
  stage('localnet', true, `height ${height}, latest session ${sessionHeight}, ${opts.keys} keys, ${opts.apps} apps staked`);

  // 3. Relays: the sessions file (every app × servicer session once) and the pool the load runs consume.
  const sessionsCount = opts.apps * opts.keys;
  const sessionsFile = path.join(work, 'sessions.txt');
  const poolFile = path.join(work, 'pool.txt');
  const gen = (file, first, count, append = false) => {
    const r = run(bin.relaygen, ['--apps', String(opts.apps), '--servicers', String(opts.keys), '--count', String(count),
      '--first', String(first), '--session-height', String(sessionHeight), '--block-height', String(height), '--out', file,
      ...(append ? ['--append'] : [])]);
    if (r.status !== 0) throw new Error(`relaygen: ${r.stderr}`);
    return JSON.parse(firstLine(r.stdout));
  };
  const pool = { next: sessionsCount, bytes: 0, lines: 0, generated_s: 0 };
  const topUp = (lines) => {
    const g = gen(poolFile, pool.next, lines, pool.lines > 0);
    pool.next += lines; pool.lines += lines; pool.bytes += g.bytes; pool.generated_s += g.seconds;
    log(`generated ${lines} relays (${(g.bytes / 1048576).toFixed(0)} MB) in ${g.seconds} s`);
  };
  {
    const g = gen(sessionsFile, 0, sessionsCount);
    report.setup.relay_bytes_avg = Math.round(g.bytes / g.count);
    // The mesh cannot beat its crypto ceiling on one core: size the pool from it, top it up later if needed.
    topUp(Math.ceil(Math.max(2000, report.crypto.relay_ceiling_per_s * 1.3) * opts.duration));
    stage('relays', true, `${sessionsCount} session-opening relays + ${pool.lines} pool relays, ~${report.setup.relay_bytes_avg} bytes each`);
  }
  let poolOffset = 0;
  const ensurePool = (expectedRequests) => {
    const remaining = (pool.bytes - poolOffset) / report.setup.relay_bytes_avg;
    if (remaining < expectedRequests * 1.3) topUp(Math.ceil(expectedRequests * 1.5 - remaining));
  };

  // 4. nginx in front of the same mock chain (plain proxy_pass, upstream keep-alive like the mesh's client).
  const nginxPort = await freePort();
  const ngDir = path.join(work, 'nginx');
  fs.mkdirSync(ngDir, { recursive: true });
  const chainPort = new URL(ln.chain_url).port;
  const nginxConf = `# bench: a plain reverse proxy to the mock chain (written by bench/bench.mjs)
worker_processes 1;
daemon off;
pid ${ngDir}/nginx.pid;
error_log ${ngDir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${ngDir}/body; proxy_temp_path ${ngDir}/proxy;
  fastcgi_temp_path ${ngDir}/fastcgi; uwsgi_temp_path ${ngDir}/uwsgi; scgi_temp_path ${ngDir}/scgi;
  upstream chain { server 127.0.0.1:${chainPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://chain;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  fs.writeFileSync(path.join(ngDir, 'nginx.conf'), nginxConf);
  fs.writeFileSync(path.join(outDir, 'nginx.conf'), nginxConf);
  env.nginx = start('nginx', 'nginx', ['-c', path.join(ngDir, 'nginx.conf'), '-p', ngDir + '/', '-e', path.join(ngDir, 'error.log')], { cpu: SUT_CPU });
  const nginxUrl = `http://127.0.0.1:${nginxPort}/`;
  const ngUp = await waitFor(async () => (await request('POST', nginxUrl, { body: '{}', timeoutMs: 2000 })).status === 200, 10000);
  stage('nginx', !!ngUp, ngUp ? `nginx on :${nginxPort} → mock chain :${chainPort}` : 'nginx did not answer');
  if (!ngUp) throw new Error('nginx did not start: ' + (fs.existsSync(path.join(ngDir, 'error.log')) ? fs.readFileSync(path.join(ngDir, 'error.log'), 'utf8') : ''));
  const nginxPids = () => [env.nginx.proc.pid, ...childPids(env.nginx.proc.pid)];

  // 5. Mesh start-up with N keys: process start → health "ready":true (3 cold starts, then the one we keep).
  const meshUrl = ln.mesh_url, token = ln.mesh_token;
  const health = async () => {
    const r = await request('GET', `${meshUrl}/v1/private/mesh/health`, { headers: { Authorization: token }, timeoutMs: 5000 });
    return r.status === 200 ? JSON.parse(r.body) : null;
  };
  const startMesh = async (dir, name) => {
    const t0 = performance.now();
    const e = start(name, bin.mesh, ['start-mesh', '--datadir', dir], { cpu: SUT_CPU, logFile: path.join(outDir, 'mesh.log') });
    return { entry: e, t0 };
  };
  const startups = [];
  for (let i = 0; i < 4; i++) {
    const { entry, t0 } = await startMesh(dataDir, 'mesh');
    const ready = await waitFor(async () => { const h = await health(); return h?.ready ? h : (entry.exited ? 'exited' : null); }, 30000, 5);
    if (!ready || ready === 'exited') { stage('mesh-start', false, 'not ready within 30 s'); throw new Error('the mesh did not become ready; see mesh.log'); }
    startups.push(round(performance.now() - t0, 1));
    if (i < 3) await stop(entry); else env.mesh = entry;
  }
  const sortedStart = [...startups].sort((a, b) => a - b);
  report.startup = { keys: opts.keys, ms_each: startups, median_ms: sortedStart[Math.floor(sortedStart.length / 2)], max_ms: sortedStart.at(-1) };
  stage('mesh-start', true, `ready in ${startups.join(' / ')} ms`);
  const meshPid = env.mesh.proc.pid;
  await sleep(1000);
  report.memory.idle = { ...procStatus(meshPid), sessions: (await health()).sessions };

  const drain = async (label) => {
    const t0 = performance.now();
    const h = await waitFor(async () => { const x = await health(); return x && x.outbox.depth === 0 ? x : null; }, 300000, 100);
    const ms = round(performance.now() - t0, 0);
    if (!h) log(`outbox did not drain within 300 s after ${label}`);
    return { drained: !!h, ms };
  };
  // 200s seen by the clients, and relays written to the mesh: wrk stops at its deadline with requests in
  // flight, which the mesh still serves and notifies, so evidence lies between the two (equal for exact passes).
  let mesh200 = 0, meshSent = 0;
  const countMesh = (r) => { mesh200 += r.statuses['200'] ?? 0; meshSent += r.sent; };

  // 6. 10 000 sessions (apps × servicers, one relay each), then RSS once the mesh validated every one of
  // them with the servicer (/v1/private/mesh/session, counted by the emulator) and notified every relay.
  {
    const sessionCalls = async () => (await getJson(`${ln.emulator_url}/admin/state`)).requests?.mesh_session ?? 0;
    const before = await sessionCalls();
    const t0 = performance.now();
    const s = await sendAll(`${meshUrl}/v1/client/relay`, sessionsFile, Math.min(16, sessionsCount));
    mesh200 += s.statuses['200'] ?? 0;
    meshSent += s.sent;
    const d = await drain('sessions pass');
    const validated = await waitFor(async () => ((await sessionCalls()) - before >= sessionsCount ? performance.now() : null), 600000, 250);
    const h = await health();
    report.sessions_pass = { ...s, rps: round(s.sent / s.seconds, 0), drain_ms: d.ms, mesh_sessions: h.sessions,
      session_validations: (await sessionCalls()) - before, all_validated_after_ms: validated ? round(validated - t0, 0) : null };
    report.memory.after_sessions = { ...procStatus(meshPid), sessions: h.sessions };
    const ok = (s.statuses['200'] ?? 0) === sessionsCount;
    stage('sessions', ok, `${JSON.stringify(s.statuses)} in ${s.seconds.toFixed(1)} s; mesh holds ${h.sessions} sessions`);
  }
  save();

  // 7. Throughput: chain directly, nginx, mesh — at each concurrency, in the same run.
  const chainUrl = `${ln.chain_url}/`;
  const cpuSnapshot = () => ({
    mesh: cpuMs(`/proc/${meshPid}/stat`),
    nginx: nginxPids().reduce((s, p) => s + (cpuMs(`/proc/${p}/stat`) ?? 0), 0),
    localnet: cpuMs(`/proc/${ln.pid}/stat`),
    chain: (() => { const t = threadsOf(ln.pid).find((x) => x.comm === 'mock-chain'); return t ? cpuMs(`/proc/${ln.pid}/task/${t.tid}/stat`) : null; })(),
  });
  const cpuDelta = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, a[k] === null || b[k] === null ? null : round(b[k] - a[k], 0)]));
  const measured = async (target, fn) => {
    const before = cpuSnapshot();
    const r = fn();
    const used = cpuDelta(before, cpuSnapshot());
    r.target = target;
    r.cpu_ms = used;
    const own = target === 'mesh' ? used.mesh : target === 'nginx' ? used.nginx : 0;
    r.cpu_us_per_request = { target: target === 'chain' ? null : round(own * 1000 / Math.max(1, r.requests), 1), mock_chain: round(used.chain * 1000 / Math.max(1, r.requests), 1) };
    log(`${target.padEnd(5)} c=${String(r.conns).padStart(3)}${r.rate_target ? ' rate=' + r.rate_target : ''}: ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, non-2xx ${r.errors_non_2xx}, socket errors ${r.socket_errors}`);
    return r;
  };
  let meshMax = 0;
  for (const c of opts.concurrency) {
    report.runs.push(await measured('chain', () => wrk({ label: `chain-c${c}`, url: chainUrl, file: poolFile, mode: 'wrap', conns: c, duration: opts.duration })));
    report.runs.push(await measured('nginx', () => wrk({ label: `nginx-c${c}`, url: nginxUrl, file: poolFile, mode: 'wrap', conns: c, duration: opts.duration })));
    ensurePool(Math.max(meshMax, report.crypto.relay_ceiling_per_s) * opts.duration);
    const m = await measured('mesh', () => wrk({ label: `mesh-c${c}`, url: `${meshUrl}/v1/client/relay`, file: poolFile, offset: poolOffset, conns: c, duration: opts.duration }));
    poolOffset = m.endpos;
    countMesh(m);
    m.drain = await drain(`mesh c=${c}`);
    report.runs.push(m);
    meshMax = Math.max(meshMax, m.rps);
    save();
  }
  stage('throughput', report.runs.every((r) => r.requests > 0), `${report.runs.length} runs`);

  // 8. Added latency at a constant rate = 0.5 × the mesh's best rate (same pace for chain, nginx, mesh), or the
  // rate given with --paced-rate (to compare two builds at the same load).
  const pace = opts.pacedRate ?? Math.max(10, Math.round(meshMax * 0.5));
  for (const target of ['chain', 'nginx', 'mesh']) {
    const url = target === 'chain' ? chainUrl : target === 'nginx' ? nginxUrl : `${meshUrl}/v1/client/relay`;
    if (target === 'mesh') ensurePool(pace * opts.duration);
    const r = await measured(target, () => wrk({ label: `${target}-paced${pace}`, url, file: poolFile, offset: target === 'mesh' ? poolOffset : 0,
      mode: target === 'mesh' ? 'strict' : 'wrap', rate: pace, conns: opts.pacedConnections, duration: opts.duration }));
    if (target === 'mesh') { poolOffset = r.endpos; countMesh(r); r.drain = await drain('paced mesh'); }
    report.paced.push(r);
  }
  stage('paced', report.paced.every((r) => r.requests > 0), `pace ${pace} req/s`);
  save();

  // 9. Profile of the mesh under load (perf, cpu-clock, call graphs by frame pointer; self time is what we list).
  if (opts.profile) {
    if (!which('perf')) stage('profile', false, 'perf not installed (apt-get install linux-perf)');
    else {
      ensurePool(Math.max(meshMax, report.crypto.relay_ceiling_per_s) * opts.duration);
      const perfData = path.join(work, 'perf.data');
      // DWARF unwinding: the Release-style build has no frame pointers, and libsodium is stripped.
      const [pc, pa] = pinned(LOAD_CPU, 'perf', ['record', '-e', 'cpu-clock', '-F', '499', '--call-graph', 'dwarf,16384', '-p', String(meshPid), '-o', perfData, '--', 'sleep', String(opts.duration)]);
      const perfProc = spawn(pc, pa, { stdio: ['ignore', 'ignore', 'pipe'] });
      let perfErr = '';
      perfProc.stderr.on('data', (d) => { perfErr += d; });
      const perfDone = new Promise((r) => perfProc.on('exit', r));
      await sleep(300);
      const c = opts.concurrency.includes(64) ? 64 : opts.concurrency.at(-1);
      const m = await measured('mesh', () => wrk({ label: `mesh-profile-c${c}`, url: `${meshUrl}/v1/client/relay`, file: poolFile, offset: poolOffset, conns: c, duration: opts.duration }));
      poolOffset = m.endpos;
      countMesh(m);
      await perfDone;
      m.drain = await drain('profile run');
      const rep = (args) => run('perf', ['report', '-i', perfData, '--stdio', '-t', ';', ...args], { timeoutMs: 900000 }).stdout;
      // Rows "  12.34%;dso;[.] symbol" (self) or "  40.00%;  1.00%;symbol" (children;self).
      const rows = (txt) => txt.split('\n').filter((l) => /^\s*\d+\.\d+%/.test(l)).map((l) => l.split(';').map((x) => x.trim()));
      const pct = (x) => +x.replace('%', '');
      // Self time per symbol; the unresolved addresses of a stripped library are summed into one row.
      const selfText = rep(['--no-children', '--sort', 'dso,sym', '-g', 'none']);
      const sm = selfText.match(/Samples: (\d+)([KM]?)\s+of event 'cpu-clock/);
      const samples = sm ? +sm[1] * ({ K: 1000, M: 1000000 }[sm[2]] ?? 1) : 0;
      const selfRows = rows(selfText);
      const merged = new Map();
      for (const [p, dso, sym] of selfRows) {
        const unresolved = /\[.\] 0x[0-9a-f]+$/.test(sym);
        const key = unresolved ? `${dso};(stripped: unresolved addresses)` : `${dso};${sym.replace(/^\[.\] /, '')}`;
        merged.set(key, (merged.get(key) ?? 0) + pct(p));
      }
      const bySymbol = [...merged].map(([k, v]) => ({ percent: round(v, 2), dso: k.split(';')[0], symbol: k.split(';').slice(1).join(';') }))
        .sort((a, b) => b.percent - a.percent).slice(0, 40);
      // Inclusive time (self + callees) of the mesh's own functions.
      const childRows = rows(rep(['--children', '--sort', 'sym', '-g', 'none']));
      // Named functions only (no lambdas, std::function thunks or inlined copies), arguments cut off.
      const seen = new Set();
      const inclusive = [];
      for (const [ch, self, rawSym] of childRows) {
        const sym = (rawSym ?? '').replace(/^\[.\] /, '');
        if (!/^(pocket::|crypto_sign|sqlite3_(step|exec|prepare))/.test(sym) || /inlined|lambda|_Function_handler|__invoke/.test(sym)) continue;
        const name = sym.replace(/\(anonymous namespace\)::/g, '').replace(/\(.*$/, '');
        if (seen.has(name)) continue;
        seen.add(name);
        inclusive.push({ children: pct(ch), self: pct(self), symbol: name });
        if (inclusive.length >= 40) break;
      }
      const byThread = rows(rep(['--no-children', '--sort', 'comm', '-g', 'none'])).map(([p, comm]) => ({ percent: pct(p), thread: comm }));
      const byDso = rows(rep(['--no-children', '--sort', 'dso', '-g', 'none'])).slice(0, 15).map(([p, dso]) => ({ percent: pct(p), dso }));
      fs.writeFileSync(path.join(outDir, 'perf-report.txt'),
        run('perf', ['report', '-i', perfData, '--stdio', '--children', '--sort', 'sym', '-g', 'caller,0.5,callee', '--percent-limit', '2'], { timeoutMs: 900000 }).stdout);
      report.profile = { tool: 'perf record -e cpu-clock -F 499 --call-graph dwarf', samples, run: { conns: c, rps: m.rps, duration_s: m.duration_s },
        by_symbol: bySymbol, inclusive, by_thread: byThread, by_dso: byDso, perf_stderr: perfErr.trim().split('\n').slice(-2).join(' ') };
      report.profile_run = m;
      stage('profile', bySymbol.length > 0, `${bySymbol.length} symbols over 0.3 %`);
    }
  }

  // 10. Every relay answered 200 was notified: emulator evidence (from notify) == the mesh's 200 answers.
  {
    const d = await drain('all load');
    const ev = await getJson(`${ln.emulator_url}/admin/evidence`, {}, 120000);
    const h = await health();
    const ob = await request('GET', `${meshUrl}/v1/private/mesh/outbox`, { headers: { Authorization: token }, timeoutMs: 5000 });
    const db = ob.status === 200 ? JSON.parse(ob.body).database : null;
    report.outbox_batches = db ? { batches: db.batches, operations: db.batched_operations, average: db.batches ? round(db.batched_operations / db.batches, 2) : null } : null;
    const inFlight = meshSent - mesh200;
    report.notification = { mesh_200: mesh200, relays_sent: meshSent, mesh_delivered: h.outbox.delivered ?? null, in_flight_at_wrk_stop: inFlight, emulator_accepted_from_notify: ev.accepted_from_notify,
      emulator_rejected: ev.total_rejected, rejected_by_code: ev.rejected_by_code, outbox_depth: h.outbox.depth, drained: d.drained,
      non_200_answers: [...report.runs, ...report.paced, report.profile_run].filter((r) => r && r.target === 'mesh').reduce((n, r) => n + r.errors_non_2xx, 0)
        + Object.entries(report.sessions_pass?.statuses ?? {}).filter(([k]) => k !== '200').reduce((n, [, v]) => n + v, 0) };
    check('every 200 notified', ev.accepted_from_notify >= mesh200 && ev.accepted_from_notify <= meshSent && ev.total_rejected === 0 && h.outbox.depth === 0,
      `clients got 200 ${mesh200} times, ${meshSent} relays were sent (${inFlight} still in flight when wrk stopped at its deadline), `
      + `emulator accepted ${ev.accepted_from_notify} notifications, rejected ${ev.total_rejected}; outbox depth ${h.outbox.depth}`);
    if (h.outbox.delivered !== undefined)
      check('mesh delivered count = emulator evidence', h.outbox.delivered === ev.accepted_from_notify,
        `mesh health outbox.delivered ${h.outbox.delivered}, emulator accepted ${ev.accepted_from_notify}`);
    report.memory.after_load = { ...procStatus(meshPid), sessions: h.sessions };
  }
  save();
  await stop(env.mesh);
  await stop(env.nginx, 'SIGQUIT');
  await stop(env.localnet);

  // 11. Replay of a stored backlog into a counting sink (the mesh's node URL points at it).
  {
    env.sink = start('sink', bin.sink, ['--height', String(height), '--blocks-per-session', String(state.blocks_per_session), '--target', String(opts.backlog)], { cpu: LOAD_CPU });
    const sink = await readyLine(env.sink);
    const replayDir = path.join(work, 'replay');
    for (const f of ['config/config.json', 'key/key.json', 'auth/mesh.json', 'auth/servicer.json', 'chains.json', 'chains_name_map.json']) {
      fs.mkdirSync(path.dirname(path.join(replayDir, f)), { recursive: true });
      fs.copyFileSync(path.join(dataDir, f), path.join(replayDir, f));
    }
    fs.chmodSync(path.join(replayDir, 'key/key.json'), 0o600);
    const cfg = JSON.parse(fs.readFileSync(path.join(replayDir, 'config/config.json'), 'utf8'));
    cfg.data_dir = replayDir;
    cfg.rpc_port = String(await freePort());
    cfg.pocket_prometheus_port = String(await freePort());
    fs.writeFileSync(path.join(replayDir, 'config/config.json'), JSON.stringify(cfg, null, 2));
    const keyFile = JSON.parse(fs.readFileSync(path.join(replayDir, 'key/key.json'), 'utf8'));
    for (const node of keyFile) node.url = sink.url;
    fs.writeFileSync(path.join(replayDir, 'key/key.json'), JSON.stringify(keyFile, null, 2), { mode: 0o600 });
    fs.mkdirSync(path.join(replayDir, 'data'), { recursive: true });
    const fill = run(bin.outboxfill, ['--datadir', replayDir, '--count', String(opts.backlog), '--node-url', sink.url, '--servicers', String(opts.keys),
      '--apps', String(opts.apps), '--session-height', String(sessionHeight), '--block-height', String(height)], { timeoutMs: 1800000 });
    if (fill.status !== 0) throw new Error(`outboxfill: ${fill.stderr}`);
    const filled = JSON.parse(firstLine(fill.stdout));
    log(`outbox filled with ${filled.depth} relays in ${filled.seconds} s`);
    const t0 = Date.now();
    const replayMesh = start('mesh-replay', bin.mesh, ['start-mesh', '--datadir', replayDir], { cpu: SUT_CPU, logFile: path.join(outDir, 'mesh-replay.log') });
    let peakRss = 0;
    const done = await waitFor(async () => {
      peakRss = Math.max(peakRss, procStatus(replayMesh.proc.pid).rssKb ?? 0);
      const c = await getJson(`${sink.url}/count`);
      return c.target_ms > 0 ? c : (replayMesh.exited ? { exited: true } : null);
    }, Math.max(60000, opts.backlog * 2), 100);
    const counts = await getJson(`${sink.url}/count`);
    // Delivered relays leave the database in batches behind the notifications: time until it is empty.
    const replayToken = JSON.parse(fs.readFileSync(path.join(replayDir, 'auth/mesh.json'), 'utf8')).Value;
    const emptied = done && !done.exited ? await waitFor(async () => {
      peakRss = Math.max(peakRss, procStatus(replayMesh.proc.pid).rssKb ?? 0);
      const r = await request('GET', `http://127.0.0.1:${cfg.rpc_port}/v1/private/mesh/health`, { headers: { Authorization: replayToken }, timeoutMs: 5000 });
      return r.status === 200 && JSON.parse(r.body).outbox.depth === 0 ? Date.now() : null;
    }, Math.max(60000, opts.backlog), 250) : null;
    const st = procStatus(replayMesh.proc.pid);
    await stop(replayMesh);
    await stop(env.sink);
    if (!done || done.exited) {
      report.replay = { backlog: opts.backlog, completed: false, counts, fill_s: filled.seconds };
      stage('replay', false, `sink counted ${counts.distinct} of ${opts.backlog}`);
    } else {
      const ms = counts.target_ms - t0;
      report.replay = {
        backlog: opts.backlog, completed: true, fill_s: filled.seconds, fill_rate: round(opts.backlog / filled.seconds, 0),
        ms_from_start: ms, rate: round(opts.backlog / (ms / 1000), 0),
        ms_first_to_last: counts.target_ms - counts.first_ms, rate_after_first: round(opts.backlog / Math.max(0.001, (counts.target_ms - counts.first_ms) / 1000), 0),
        first_notification_after_ms: counts.first_ms - t0, notifications: counts.count, distinct: counts.distinct,
        outbox_empty_after_ms: emptied ? emptied - t0 : null,
        mesh_peak_rss_kb: Math.max(peakRss, st.hwmKb ?? 0), mesh_rss_end_kb: st.rssKb,
      };
      stage('replay', true, `${opts.backlog} relays in ${ms} ms from mesh start (${report.replay.rate}/s)`);
    }
  }
}

// ---------------------------------------------------------------- summary, targets, Markdown
function summarize() {
  const best = (t) => report.runs.filter((r) => r.target === t).reduce((b, r) => (!b || r.rps > b.rps ? r : b), null);
  const at = (t, c) => report.runs.find((r) => r.target === t && r.conns === c);
  const mesh = best('mesh'), nginx = best('nginx'), chain = best('chain');
  const pm = report.paced.find((r) => r.target === 'mesh'), pc = report.paced.find((r) => r.target === 'chain');
  const s = report.summary;
  s.mesh_max_rps = mesh?.rps ?? null; s.nginx_max_rps = nginx?.rps ?? null; s.chain_max_rps = chain?.rps ?? null;
  s.ratio_mesh_nginx_max = mesh && nginx ? round(mesh.rps / nginx.rps, 3) : null;
  s.ratio_by_concurrency = Object.fromEntries(opts.concurrency.map((c) => [c, at('mesh', c) && at('nginx', c) ? round(at('mesh', c).rps / at('nginx', c).rps, 3) : null]));
  if (pm && pc) {
    s.paced_rate = pm.rate_target;
    s.added_p50_ms = round(pm.p50_ms - pc.p50_ms, 3);
    s.added_p99_ms = round(pm.p99_ms - pc.p99_ms, 3);
  }
  if (report.crypto && mesh) {
    s.crypto_ceiling_rps = report.crypto.relay_ceiling_per_s;
    s.mesh_fraction_of_crypto_ceiling = round(mesh.rps / report.crypto.relay_ceiling_per_s, 3);
    s.aat_verifies = `once per token (${opts.apps} tokens in the run: negligible)`;
  }
  const mb = (kb) => (kb ? round(kb / 1024, 1) : null);
  const T = report.targets;
  const add = (name, value, unit, limit, ok) => T.push({ target: name, value, unit, limit, pass: value === null || value === undefined ? null : ok });
  add('mesh ≥ 50 % of nginx req/s (best of each)', s.ratio_mesh_nginx_max !== null ? round(s.ratio_mesh_nginx_max * 100, 1) : null, '%', '≥ 50 %', s.ratio_mesh_nginx_max >= 0.5);
  add('added latency p50 at 0.5 × mesh max', s.added_p50_ms, 'ms', '≤ 0.5 ms', s.added_p50_ms <= 0.5);
  add('added latency p99 at 0.5 × mesh max', s.added_p99_ms, 'ms', '≤ 2 ms', s.added_p99_ms <= 2);
  add(`RSS idle with ${opts.keys} keys`, mb(report.memory.idle?.rssKb), 'MB', '≤ 64 MB', mb(report.memory.idle?.rssKb) <= 64);
  add(`RSS with ${opts.keys} keys and ${report.memory.after_sessions?.sessions ?? '?'} sessions`, mb(report.memory.after_sessions?.rssKb), 'MB', '≤ 64 MB', mb(report.memory.after_sessions?.rssKb) <= 64);
  add(`start-up to ready with ${opts.keys} keys (median)`, report.startup?.median_ms ?? null, 'ms', '≤ 1000 ms', report.startup?.median_ms <= 1000);
  add(`replay of ${opts.backlog} stored relays`, report.replay?.rate ?? null, 'relays/s', '≥ 20 000/s', report.replay?.rate >= 20000);
}

function markdown() {
  const r = report, m = r.machine, s = r.summary;
  const L = [];
  const row = (cells) => L.push(`| ${cells.map((c) => (c === null || c === undefined ? '–' : String(c))).join(' | ')} |`);
  const mb = (kb) => (kb ? (kb / 1024).toFixed(1) : '–');
  L.push(`# pocket-mesh benchmark — ${r.mode} run, ${r.started}`, '');
  L.push(`Command: \`${r.command}\``, '');
  L.push('## Machine', '');
  row(['cores', 'CPU', 'kernel', 'memory', 'Qt', 'nginx', 'wrk', 'SQLite', 'libsodium', 'build']);
  row(['---', '---', '---', '---', '---', '---', '---', '---', '---', '---']);
  row([m.cores, m.cpu_model, m.kernel, `${m.memory_mb} MB`, m.qt, m.nginx, m.wrk, m.sqlite, m.libsodium, m.build_type]);
  L.push('', `Commit \`${m.commit}\` (${m.commit_subject}). ${m.os}. Load average at start ${m.loadavg_start?.join(' / ')}, at end ${m.loadavg_end?.join(' / ')}.`);
  L.push(`Pinning: ${m.pinning}. One wrk thread (\`-t ${r.options.wrk_threads}\`), ${r.options.duration_s} s per load run.`, '');
  L.push('## Targets (reported, not asserted)', '');
  row(['target', 'value', 'limit', 'result']); row(['---', '---:', '---', '---']);
  for (const t of r.targets) row([t.target, t.value === null ? '–' : `${t.value} ${t.unit}`, t.limit, t.pass === null ? 'not measured' : t.pass ? 'PASS' : 'FAIL']);
  L.push('', '## Throughput (closed loop: each connection sends its next relay when the answer arrived)', '');
  L.push('`chain` = the mock chain called directly (the no-proxy baseline), `nginx` = nginx proxy_pass → mock chain, `mesh` = `POST /v1/client/relay` on the mesh (validation, session, outbox, chain call, signature, notification). Each mesh relay is distinct, valid and signed; chain and nginx get the same bodies (re-used when the file wraps). CPU µs/request = CPU time of the target process(es) during the run ÷ requests.', '');
  row(['target', 'conns', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'socket errors', 'CPU µs/req (target)', 'CPU µs/req (mock chain)', 'mesh/nginx']);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const x of r.runs) row([x.target, x.conns, x.rps, x.p50_ms, x.p90_ms, x.p99_ms, x.max_ms, x.errors_non_2xx, x.socket_errors, x.cpu_us_per_request.target, x.cpu_us_per_request.mock_chain,
    x.target === 'mesh' ? s.ratio_by_concurrency?.[x.conns] : '']);
  L.push('', `Best: mesh ${s.mesh_max_rps} req/s, nginx ${s.nginx_max_rps} req/s, chain directly ${s.chain_max_rps} req/s → mesh/nginx **${s.ratio_mesh_nginx_max}**.`);
  const ex = r.runs.filter((x) => x.exhausted);
  if (ex.length) L.push('', `Relay file exhausted in: ${ex.map((x) => `${x.target} c=${x.conns}`).join(', ')} (those rates are lower bounds).`);
  L.push('', `## Added latency at a constant ${s.paced_rate} req/s (${r.options.paced_rate ? 'set with --paced-rate' : "0.5 × the mesh's best"}), ${r.options.paced_connections} connections`, '');
  row(['target', 'achieved req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'CPU µs/req (target)']);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const x of r.paced) row([x.target, x.rps, x.p50_ms, x.p90_ms, x.p99_ms, x.max_ms, x.errors_non_2xx, x.cpu_us_per_request.target]);
  L.push('', `Added by the mesh over calling the chain directly: **p50 ${s.added_p50_ms} ms, p99 ${s.added_p99_ms} ms**. (wrk's latency runs from writing the request to the end of the answer; the pace is kept by wrk's delay(), no coordinated-omission correction.)`, '');
  L.push('## Memory, start-up, sessions', '');
  row(['measure', 'value']); row(['---', '---:']);
  row([`start-up to "ready":true with ${r.options.keys} keys (4 starts; median)`, r.startup ? `${r.startup.ms_each.join(' / ')} ms (median ${r.startup.median_ms} ms)` : '–']);
  row([`RSS idle, ${r.options.keys} keys`, `${mb(r.memory.idle?.rssKb)} MB`]);
  row([`RSS after ${r.memory.after_sessions?.sessions} live sessions (${r.options.apps} apps × ${r.options.keys} servicers, one relay each)`, `${mb(r.memory.after_sessions?.rssKb)} MB (peak ${mb(r.memory.after_sessions?.hwmKb)} MB)`]);
  row([`RSS after all load runs (${r.memory.after_load?.sessions} sessions)`, `${mb(r.memory.after_load?.rssKb)} MB (peak ${mb(r.memory.after_load?.hwmKb)} MB)`]);
  if (r.sessions_pass) {
    row([`sessions pass (${r.sessions_pass.sent} relays, 16 connections, Node client)`, `${r.sessions_pass.rps} req/s, statuses ${JSON.stringify(r.sessions_pass.statuses)}`]);
    row(['sessions validated with the servicer (/session calls) / all validated after', `${r.sessions_pass.session_validations} / ${r.sessions_pass.all_validated_after_ms ?? 'not within 600 s'} ms`]);
  }
  L.push('', '## Outbox replay', '');
  if (r.replay?.completed) {
    row(['measure', 'value']); row(['---', '---:']);
    row(['backlog written with RelayOutbox before the start', `${r.replay.backlog} relays in ${r.replay.fill_s} s (${r.replay.fill_rate}/s)`]);
    row(['mesh start → sink counted all (distinct)', `${r.replay.ms_from_start} ms → **${r.replay.rate} relays/s**`]);
    row(['first → last notification', `${r.replay.ms_first_to_last} ms (${r.replay.rate_after_first}/s); first after ${r.replay.first_notification_after_ms} ms`]);
    row(['notifications received / distinct', `${r.replay.notifications} / ${r.replay.distinct}`]);
    row(['mesh start → outbox database empty (delivered rows deleted)', r.replay.outbox_empty_after_ms === null ? 'not within the wait' : `${r.replay.outbox_empty_after_ms} ms`]);
    row(['mesh RSS peak / at the end', `${mb(r.replay.mesh_peak_rss_kb)} MB / ${mb(r.replay.mesh_rss_end_kb)} MB`]);
  } else L.push(`Replay not completed: ${JSON.stringify(r.replay)}`);
  L.push('', '## Notification check', '');
  if (r.notification) {
    const n = r.notification;
    if (r.outbox_batches) L.push(`Outbox group commit over all load runs: ${r.outbox_batches.operations} stores and removes in ${r.outbox_batches.batches} transactions (**${r.outbox_batches.average}** per transaction).`, '');
    L.push(`After the outbox drained: 200 answers received by the clients **${n.mesh_200}**; emulator evidence accepted from the mesh's notifications **${n.emulator_accepted_from_notify}**; the mesh's own delivered count ${n.mesh_delivered ?? '–'}; rejected ${n.emulator_rejected} ${JSON.stringify(n.rejected_by_code)}; outbox depth ${n.outbox_depth}; non-200 answers ${n.non_200_answers}.`);
    L.push('', `Relays written to the mesh: ${n.relays_sent}. wrk stops at its deadline with up to one request per connection in flight (${n.in_flight_at_wrk_stop} here): the mesh still serves, stores and notifies those, but no client counts their 200. So the check is 200s seen ≤ evidence ≤ relays sent, with nothing rejected and nothing left in the outbox: **${n.emulator_accepted_from_notify >= n.mesh_200 && n.emulator_accepted_from_notify <= n.relays_sent && n.emulator_rejected === 0 && n.outbox_depth === 0 ? 'holds' : 'VIOLATED'}**. (The sessions pass is exact: every one of its relays was answered.)`);
  }
  L.push('', '## Crypto ceiling (one core, libsodium 1.0.18 through core/protocol/crypto)', '');
  if (r.crypto) {
    L.push(`verify ${r.crypto.verify_core_per_s}/s (raw libsodium ${r.crypto.verify_libsodium_per_s}/s), sign ${r.crypto.sign_core_per_s}/s (raw ${r.crypto.sign_libsodium_per_s}/s), SHA3-256 of 400 B ${r.crypto.sha3_400B_per_s}/s.`);
    L.push(`Per relay the mesh verifies the client signature once and signs the answer once (the AAT signature is verified once per token, ${r.options.apps} tokens here): ceiling **${r.crypto.relay_ceiling_per_s} relays/s per core**. The mesh's best rate is **${round((s.mesh_fraction_of_crypto_ceiling ?? 0) * 100, 1)} %** of it.`);
  }
  if (r.profile) {
    L.push('', `## Profile of the mesh under load (${r.profile.tool}, ${r.profile.run.conns} connections, ${r.profile.run.rps} req/s)`, '');
    L.push(`~${r.profile.samples} samples over all threads of the mesh process. Self time (samples in the function itself):`, '');
    row(['% self', 'library', 'symbol']); row(['---:', '---', '---']);
    for (const e of r.profile.by_symbol.slice(0, 30)) row([e.percent, e.dso, `\`${e.symbol}\``]);
    L.push('', "Inclusive time (the function and what it calls) of the mesh's own functions:", '');
    row(['% incl.', '% self', 'function']); row(['---:', '---:', '---']);
    for (const e of r.profile.inclusive.slice(0, 25)) row([e.children, e.self, `\`${e.symbol}\``]);
    L.push('', 'By thread:', '');
    row(['% samples', 'thread']); row(['---:', '---']);
    for (const e of r.profile.by_thread) row([e.percent, e.thread]);
    L.push('', 'By library:', '');
    row(['% samples', 'library']); row(['---:', '---']);
    for (const e of r.profile.by_dso) row([e.percent, e.dso]);
  }
  L.push('', '## Stages and checks', '');
  for (const x of [...r.stages, ...r.checks]) L.push(`- ${x.ok ? 'ok' : '**FAIL**'} ${x.name}${x.detail ? ': ' + x.detail : ''}`);
  return L.join('\n') + '\n';
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  stage('run', false, e.message);
  exitCode = 1;
} finally {
  killAll('SIGTERM');
  await sleep(300);
  killAll('SIGKILL');
  restoreAutogroup();
  report.machine.loadavg_end = os.loadavg().map((x) => round(x, 2));
  report.finished = new Date().toISOString();
  try { summarize(); } catch (e) { stage('summary', false, e.message); exitCode = 1; }
  save();
  fs.writeFileSync(path.join(outDir, 'report.md'), markdown());
  if (!opts.keep) fs.rmSync(work, { recursive: true, force: true });
  if (report.stages.some((s) => !s.ok)) exitCode = 1;
  if (opts.mode === 'smoke' && report.checks.some((c) => !c.ok)) exitCode = 1;
  if (opts.mode === 'smoke') {
    const meshErrors = [...report.runs, ...report.paced].filter((r) => r.target === 'mesh' && (r.errors_non_2xx > 0 || r.socket_errors > 0));
    if (meshErrors.length) { log(`FAIL mesh errors in ${meshErrors.map((r) => r.label).join(', ')}`); exitCode = 1; }
  }
  log(`report: ${path.join(outDir, 'report.md')} (exit ${exitCode})`);
  process.exit(exitCode);
}
