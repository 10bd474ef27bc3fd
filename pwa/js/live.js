/**
 * Live case events over one shared websocket (protocol: backend/live/messages.py and the README).
 *
 * - The credential goes in the first message (`{type:'auth', token}`), never in the URL (access logs keep URLs).
 * - Subscribe by topic; every caller's topics share one connection and one `subscribe`.
 * - `last_seq` is tracked per topic set from events and from `subscribed`, `heartbeat`, `pong` and `resync`;
 *   a reconnect resumes with `since` = that, and an event whose seq is not above it is dropped, so each event
 *   reaches a caller once and in order even if the server replays.
 * - Close 4401 (not signed in): the session is cleared and `ssp:unauthorised` is dispatched (the app shows the login
 *   screen); no reconnect with that token. 4403: the refused topics (`details.topics` of the `error` before it) are
 *   dropped and never asked for again this session; the rest reconnect at once. 4403 with
 *   `auth.password_change_required`: no reconnect with that token. 4429 (too slow): reconnect at once with `since` =
 *   `details.resume_since`; 4429 without it (too many connections for this account): back off. Anything else:
 *   reconnect with backoff.
 * - `revoked` (the case went to another unit, your grids changed): those topics are dropped from every caller and
 *   each caller's `onRevoked` is told; a later `subscribe` may ask for them again.
 */

import { clearSession, session } from './api.js';

const NOT_AUTHENTICATED = 4401;
const FORBIDDEN = 4403;
const TOO_SLOW = 4429;
const MAX_KEYS = 32; // topic sets remembered for resuming

const subs = new Map(); // id -> {topics, onEvent, onResync, onRevoked}
const lastSeq = new Map(); // topic-set key -> last seq seen (insertion order: oldest first)
const refused = new Set(); // topics the server refused (4403) this session
let nextId = 1;
/** The open connection: topics asked for and confirmed, the `since` sent, the last seq seen, the last `error`.
 * @type {{sock: WebSocket, topics: string[], confirmed: string[], key: string, since: number|null, last: number|null,
 *         error: object|null, resume: number|null}|null} */
let conn = null;
let retry = 0;
let retryTimer = null;
let watchdog = null;
let silenceMs = 65_000; // no message for this long means a dead connection; set from the welcome's heartbeat
let rejectedToken = null; // the token a 4401 refused: never reconnect with it
let resumeOverride = null; // 4429: the `since` the server told us to resume from

function topicKey(topics) {
  return [...new Set(topics)].sort().join(',');
}

function allTopics() {
  const set = new Set();
  for (const s of subs.values()) s.topics.forEach((x) => set.add(x));
  return [...set].sort();
}

function remember(key, seq) {
  lastSeq.delete(key);
  lastSeq.set(key, seq);
  if (lastSeq.size > MAX_KEYS) lastSeq.delete(lastSeq.keys().next().value);
}

/**
 * The seq a new connection for `topics` can resume after: the highest of that set and of every set holding all of
 * them (a connection watching more topics was complete for these too).
 */
function resumePoint(topics) {
  let best = null;
  for (const [k, seq] of lastSeq) {
    const had = new Set(k.split(','));
    if (topics.every((x) => had.has(x)) && (best === null || seq > best)) best = seq;
  }
  return best;
}

/** Record a watermark for the connection's topic set: `reset` (resync) may move it back, e.g. after a log reset. */
function advance(seq, reset = false) {
  if (!conn || typeof seq !== 'number') return;
  conn.last = reset || conn.last === null ? seq : Math.max(conn.last, seq);
  remember(conn.key, conn.last);
}

function send(msg) {
  if (conn?.sock.readyState === WebSocket.OPEN) conn.sock.send(JSON.stringify(msg));
}

/** Tell the server the topics wanted now: `subscribe` for the whole set (new ones), `unsubscribe` for dropped ones. */
function syncTopics(first = false) {
  if (conn?.sock.readyState !== WebSocket.OPEN) return;
  const topics = allTopics();
  const key = topicKey(topics);
  if (!first && key === conn.key) return;
  const gone = conn.topics.filter((x) => !topics.includes(x));
  const added = topics.filter((x) => !conn.topics.includes(x));
  if (gone.length) send({ type: 'unsubscribe', topics: gone });
  if (first || added.length) send({ type: 'subscribe', topics, since: first ? conn.since : null });
  conn.topics = topics;
  conn.key = key;
  // The server's cursor belongs to the connection, so the new set is complete up to the same seq.
  if (conn.last !== null) remember(key, conn.last);
}

function armWatchdog() {
  clearTimeout(watchdog);
  const sock = conn?.sock;
  watchdog = setTimeout(() => sock?.close(), silenceMs);
}

function deliver(msg) {
  switch (msg.type) {
    case 'event': {
      if (typeof msg.seq === 'number') {
        if (conn.last !== null && msg.seq <= conn.last) return; // already delivered (a replay): exactly once
        advance(msg.seq);
      }
      const evTopics = msg.topics || [];
      for (const s of [...subs.values()]) {
        const match = evTopics.length
          ? s.topics.some((x) => evTopics.includes(x))
          : s.topics.includes(`case:${msg.case_id}`) || s.topics.some((x) => !x.startsWith('case:'));
        if (match) safe(() => s.onEvent(msg));
      }
      break;
    }
    case 'welcome':
      if (msg.heartbeat_seconds > 0) silenceMs = Math.max(10_000, msg.heartbeat_seconds * 2500);
      break;
    case 'subscribed':
      conn.confirmed = msg.topics || [];
      advance(msg.last_seq);
      break;
    case 'heartbeat':
    case 'pong':
      advance(msg.last_seq);
      break;
    case 'resync':
      // The history asked for is gone: callers reload over HTTP, and we carry on from the server's last_seq.
      advance(msg.last_seq, true);
      for (const s of [...subs.values()]) if (s.onResync) safe(() => s.onResync());
      break;
    case 'revoked': {
      // The server has stopped sending them; a `subscribed` with what is left follows.
      const gone = msg.topics || [];
      conn.topics = conn.topics.filter((x) => !gone.includes(x));
      conn.key = topicKey(conn.topics);
      for (const s of [...subs.values()]) {
        const lost = s.topics.filter((x) => gone.includes(x));
        if (!lost.length) continue;
        s.topics = s.topics.filter((x) => !gone.includes(x));
        if (s.onRevoked) safe(() => s.onRevoked(lost));
      }
      console.warn('live: no longer yours to watch:', gone.join(', '));
      if (!allTopics().length) disconnect();
      break;
    }
    case 'error':
      conn.error = msg; // read by onclose (4403: details.topics, 4429: details.resume_since)
      if (msg.code === 'ws.bad_message') console.warn('live:', msg.message_en);
      break;
    default:
  }
}

function safe(fn) {
  try { fn(); } catch (err) { console.error(err); }
}

function setLive(on) {
  document.documentElement.dataset.live = on ? 'on' : 'off';
}

function connect() {
  clearTimeout(retryTimer);
  const token = session()?.token;
  if (!token || token === rejectedToken || conn) return;
  const topics = allTopics();
  if (!topics.length) return;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const sock = new WebSocket(`${proto}//${location.host}/ws`);
  const c = { sock, topics: [], confirmed: [], key: '', since: null, last: null, error: null, resume: resumeOverride };
  resumeOverride = null;
  conn = c;
  sock.onopen = () => {
    if (conn !== c) return;
    // Worked out now, not at connect: callers may have come or gone while the socket opened.
    const mine = resumePoint(allTopics());
    c.since = c.resume ?? mine;
    c.last = c.resume === null || mine === null ? c.since : Math.max(c.resume, mine);
    retry = 0;
    armWatchdog();
    send({ type: 'auth', token });
    syncTopics(true);
    setLive(true);
  };
  sock.onmessage = (e) => {
    if (conn !== c) return;
    armWatchdog();
    let msg;
    try { msg = JSON.parse(e.data); } catch { return; }
    deliver(msg);
  };
  sock.onclose = (e) => {
    if (conn !== c) return;
    conn = null;
    clearTimeout(watchdog);
    setLive(false);
    closed(e, c, token);
  };
  sock.onerror = () => sock.close();
}

function closed(e, c, token) {
  const details = c.error?.details || {};
  if (c.error?.code === 'auth.password_change_required') {
    // Nothing to drop: the app shows the password form, and reconnect() follows with the new session.
    rejectedToken = token;
    return;
  }
  if (e.code === NOT_AUTHENTICATED) {
    // The token expired or was revoked: asking again with it would only loop. The app shows the login screen.
    rejectedToken = token;
    if (session()?.token === token) {
      clearSession().finally(() => globalThis.dispatchEvent?.(new CustomEvent('ssp:unauthorised')));
    }
    return;
  }
  if (e.code === FORBIDDEN) {
    // Without the error's list, blame the topics asked for that the server never confirmed.
    const topics = Array.isArray(details.topics) ? details.topics : c.topics.filter((x) => !c.confirmed.includes(x));
    const before = allTopics().length;
    topics.forEach((x) => refused.add(x));
    for (const s of subs.values()) s.topics = s.topics.filter((x) => !refused.has(x));
    console.warn('live: not yours to watch:', topics.join(', '));
    if (allTopics().length < before) {
      retry = 0;
      connect();
    } else {
      scheduleReconnect(); // nothing of ours was dropped: do not hammer the server
    }
    return;
  }
  if (e.code === TOO_SLOW) {
    const m = /resume_since=(\d+)/.exec(e.reason || '');
    const since = typeof details.resume_since === 'number' ? details.resume_since : m ? Number(m[1]) : null;
    if (since === null) {
      scheduleReconnect(); // too many connections for this account: hammering would not help
      return;
    }
    resumeOverride = since;
    retry = 0;
    connect();
    return;
  }
  scheduleReconnect();
}

function scheduleReconnect() {
  if (!subs.size) return;
  // 1 s, 2 s, 4 s … capped at 30 s, with jitter so a restarted server is not hit by every phone at once.
  const delay = Math.min(30_000, 1000 * 2 ** retry) * (0.75 + Math.random() / 2);
  retry = Math.min(retry + 1, 6);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, delay);
}

function disconnect() {
  const c = conn;
  conn = null;
  clearTimeout(watchdog);
  clearTimeout(retryTimer);
  c?.sock.close();
  setLive(false);
}

/**
 * Receive live events for topics such as `case:12` or `reporter:3`. Each event reaches `onEvent` at most once and
 * in seq order, also across reconnects; topics the server refuses (4403) are dropped.
 * @param {string[]} topics
 * @param {(event: object) => void} onEvent called for each `{type:'event', seq, case_id, state, ...}`
 * @param {{onResync?: () => void, onRevoked?: (topics: string[]) => void}} [options] onResync: the server lost our
 *   place; reload state from the API. onRevoked: these topics are no longer yours to watch and were dropped.
 * @returns {() => void} unsubscribe
 */
export function subscribe(topics, onEvent, { onResync, onRevoked } = {}) {
  const id = nextId++;
  subs.set(id, { topics: [...topics].filter((x) => !refused.has(x)), onEvent, onResync, onRevoked });
  if (conn) syncTopics();
  else connect();
  return () => {
    if (!subs.delete(id)) return;
    if (!allTopics().length) disconnect();
    else syncTopics();
  };
}

/**
 * Drop the connection and start again with the current session (call after login and logout): the topics refused
 * to the previous user may be fine for the next. Subscriptions stay.
 */
export function reconnect() {
  disconnect();
  refused.clear();
  rejectedToken = null;
  resumeOverride = null;
  retry = 0;
  connect();
}

globalThis.addEventListener?.('online', () => { retry = 0; connect(); });
