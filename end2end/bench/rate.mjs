#!/usr/bin/env node
// `make bench`'s fixed-rate load: requests sent on a fixed schedule (open loop — a slow answer
// does not delay the next request), each one's latency recorded; or, with --rate 0, one request
// at a time. Loopback only, bounded by --seconds / --count. Prints one JSON object.
//
//   node bench/rate.mjs --url http://127.0.0.1:3200/health --rate 200 --seconds 10
//   node bench/rate.mjs --url …/api/send_card_request --method POST --header 'cookie: …' \
//        --bodies-file bodies.txt --rate 50 --seconds 20      (one form body per line, in turn)
//   node bench/rate.mjs --url '…/customers?q=Quennell' --header 'cookie: …' --rate 0 --count 50

import http from 'node:http';
import { readFileSync } from 'node:fs';

function parseArgs(argv) {
  const args = { method: 'GET', headers: {}, rate: 0, seconds: 10, count: 0, warmup: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${key} needs a value`);
    switch (key) {
      case '--url': args.url = new URL(value); break;
      case '--method': args.method = value; break;
      case '--header': {
        const at = value.indexOf(':');
        args.headers[value.slice(0, at).trim().toLowerCase()] = value.slice(at + 1).trim();
        break;
      }
      case '--body': args.bodies = [value]; break;
      case '--bodies-file': args.bodies = readFileSync(value, 'utf8').split('\n').filter(Boolean); break;
      case '--rate': args.rate = Number(value); break;
      case '--seconds': args.seconds = Number(value); break;
      case '--count': args.count = Number(value); break;
      case '--warmup': args.warmup = Number(value); break;
      default: throw new Error(`unknown option ${key}`);
    }
  }
  if (!args.url) throw new Error('--url is required');
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(args.url.hostname)) throw new Error('loopback only');
  return args;
}

const args = parseArgs(process.argv.slice(2));
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let next = 0;

/** One request; resolves to [status or 0, milliseconds]. Never rejects. */
function once() {
  const body = args.bodies ? args.bodies[next++ % args.bodies.length] : undefined;
  const headers = { ...args.headers };
  if (body !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    headers['content-length'] = Buffer.byteLength(body);
  }
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const request = http.request(args.url, { method: args.method, headers, agent }, (response) => {
      response.on('data', () => {});
      response.on('end', () =>
        resolve([response.statusCode, Number(process.hrtime.bigint() - started) / 1e6]),
      );
      response.on('error', () => resolve([0, Number(process.hrtime.bigint() - started) / 1e6]));
    });
    request.setTimeout(30_000, () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve([0, Number(process.hrtime.bigint() - started) / 1e6]));
    if (body !== undefined) request.write(body);
    request.end();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function run() {
  for (let i = 0; i < args.warmup; i++) await once();
  const results = [];
  const began = Date.now();
  if (args.rate > 0) {
    const total = args.count > 0 ? args.count : Math.round(args.rate * args.seconds);
    const interval = 1000 / args.rate;
    const pending = [];
    for (let i = 0; i < total; i++) {
      const due = began + i * interval;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      pending.push(once().then((r) => results.push(r)));
    }
    await Promise.all(pending);
  } else {
    const until = began + args.seconds * 1000;
    const total = args.count > 0 ? args.count : Infinity;
    while (results.length < total && (args.count > 0 || Date.now() < until)) results.push(await once());
  }
  const elapsed = (Date.now() - began) / 1000;
  const latencies = results.map(([, ms]) => ms).sort((a, b) => a - b);
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * q) - 1)] ?? null;
  const statuses = {};
  for (const [status] of results) statuses[status] = (statuses[status] ?? 0) + 1;
  const ok = results.filter(([status]) => status >= 200 && status < 400).length;
  console.log(
    JSON.stringify({
      requests: results.length,
      ok,
      statuses,
      seconds: elapsed,
      rate: results.length / elapsed,
      p50: pick(0.5),
      p95: pick(0.95),
      p99: pick(0.99),
      max: latencies.at(-1) ?? null,
    }),
  );
  agent.destroy();
}

run().catch((error) => {
  console.error(`rate.mjs: ${error.message}`);
  process.exit(2);
});
