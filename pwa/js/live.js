/** Live case events over one shared websocket: subscribe by topic, resume with `since`, reconnect with backoff. */

import { session } from './api.js';

const subs = new Map(); // id -> {topics, onEvent, onResync}
const lastSeq = new Map(); // topic-set key -> last seq seen
let nextId = 1;
let ws = null;
let retry = 0;
let retryTimer = null;
let watchdog = null;
const SILENCE_MS = 65_000; // heartbeats come more often; silence this long means a dead connection

function topicKey(topics) {
  return [...new Set(topics)].sort().join(',');
}

function allTopics() {
  const set = new Set();
  for (const s of subs.values()) s.topics.forEach((x) => set.add(x));
  return [...set].sort();
}

function sendSubscribe() {
  if (ws?.readyState !== WebSocket.OPEN) return;
  const topics = allTopics();
  const key = topicKey(topics);
  ws.send(JSON.stringify({ type: 'subscribe', topics, since: lastSeq.get(key) ?? null }));
  ws.topicKey = key;
}

function armWatchdog() {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => ws?.close(), SILENCE_MS);
}

function deliver(msg) {
  if (msg.type === 'event') {
    if (typeof msg.seq === 'number' && ws?.topicKey) {
      lastSeq.set(ws.topicKey, Math.max(msg.seq, lastSeq.get(ws.topicKey) ?? 0));
    }
    const evTopics = msg.topics || [];
    for (const s of subs.values()) {
      const match = evTopics.length
        ? s.topics.some((x) => evTopics.includes(x))
        : s.topics.includes(`case:${msg.case_id}`) || s.topics.some((x) => !x.startsWith('case:'));
      if (match) safe(() => s.onEvent(msg));
    }
  } else if (msg.type === 'resync') {
    for (const s of subs.values()) if (s.onResync) safe(() => s.onResync());
  }
}

function safe(fn) {
  try { fn(); } catch (err) { console.error(err); }
}

function connect() {
  clearTimeout(retryTimer);
  const token = session()?.token;
  if (!token || !subs.size || ws) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const sock = new WebSocket(`${proto}//${location.host}/ws?token=${encodeURIComponent(token)}`);
  ws = sock;
  sock.onopen = () => {
    retry = 0;
    armWatchdog();
    sendSubscribe();
    document.documentElement.dataset.live = 'on';
  };
  sock.onmessage = (e) => {
    armWatchdog();
    let msg;
    try { msg = JSON.parse(e.data); } catch { return; }
    deliver(msg);
  };
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = null;
    clearTimeout(watchdog);
    document.documentElement.dataset.live = 'off';
    scheduleReconnect();
  };
  sock.onerror = () => sock.close();
}

function scheduleReconnect() {
  if (!subs.size) return;
  // 1 s, 2 s, 4 s … capped at 30 s, with jitter so a restarted server is not hit by every phone at once.
  const delay = Math.min(30_000, 1000 * 2 ** retry) * (0.75 + Math.random() / 2);
  retry = Math.min(retry + 1, 6);
  retryTimer = setTimeout(connect, delay);
}

/**
 * Receive live events for topics such as `case:12` or `reporter:3`.
 * @param {string[]} topics
 * @param {(event: object) => void} onEvent called for each `{type:'event', seq, case_id, state, ...}`
 * @param {{onResync?: () => void}} [options] onResync: the server lost our place; reload state from the API
 * @returns {() => void} unsubscribe
 */
export function subscribe(topics, onEvent, { onResync } = {}) {
  const id = nextId++;
  subs.set(id, { topics: [...topics], onEvent, onResync });
  if (ws) sendSubscribe();
  else connect();
  return () => {
    subs.delete(id);
    if (!subs.size) {
      const sock = ws;
      ws = null;
      clearTimeout(watchdog);
      clearTimeout(retryTimer);
      sock?.close();
    } else {
      sendSubscribe();
    }
  };
}

/** Drop the connection (e.g. on logout); subscriptions stay and reconnect with the next session. */
export function reconnect() {
  const sock = ws;
  ws = null;
  sock?.close();
  retry = 0;
  connect();
}

globalThis.addEventListener?.('online', () => { retry = 0; connect(); });
