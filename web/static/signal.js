// The signalling channel: one WebSocket speaking rooms.v1 (docs/protocol.md).
// connect() does hello → join → joined and hands back a Session; messages
// after joined wait in order until the caller starts reading them.

import { signJoin } from './identity.js';

export const PROTOCOL = 'rooms.v1';

// The heartbeat (pkg/api's MsgPing): a page cannot send WebSocket pings
// nor see the server's, so a cut that leaves the socket open would go
// unnoticed. Every HEARTBEAT_MS the session sends `ping` (the server
// answers `pong`); nothing heard for SILENT_MS is a dead connection,
// closed as a drop so the call reconnects.
const HEARTBEAT_MS = 5000;
const SILENT_MS = 15000;

// SignalError is a refusal from the server (an `error` message), or
// code "closed" when the connection went away before the join finished.
export class SignalError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.code = code;
    this.fatal = !!extra.fatal;
    this.opensAt = extra.opensAt || null;
    this.closeCode = extra.closeCode || 0;
  }
}

// Codes after which trying again cannot help: pkg/api's table of codes,
// as codes.js (generated) has it.
export { FINAL_CODES } from './codes.js';

// wsURL is the room link as this page sees it, with ws: or wss:.
export function wsURL() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return proto + '//' + location.host + location.pathname;
}

// Session is a joined connection.
class Session {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.handler = null;
    this.onclose = null;
    this.closed = null; // {code, reason} once closed
    this.heard = performance.now();
    this.beat = 0;
  }

  // heartbeat pings the server and drops the connection once it has been
  // silent for SILENT_MS.
  heartbeat() {
    if (this.closed) return;
    if (performance.now() - this.heard > SILENT_MS) {
      this.drop(4000, `no answer from the server for ${SILENT_MS / 1000} s`);
      return;
    }
    this.send('ping');
  }

  // drop ends a dead connection: onclose now, not after a closing
  // handshake that cannot complete.
  drop(code, reason) {
    clearInterval(this.beat);
    if (this.closed) return;
    this.closed = { code, reason };
    const cb = this.onclose;
    this.onclose = null;
    try {
      this.ws.close();
    } catch { /* closed */ }
    if (cb) cb(this.closed);
  }

  // start delivers queued and later messages to handler, in order.
  start(handler, onclose) {
    this.handler = handler;
    this.onclose = onclose;
    if (!this.beat && !this.closed) this.beat = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    const q = this.queue;
    this.queue = [];
    for (const m of q) handler(m);
    if (this.closed) onclose(this.closed);
  }

  deliver(m) {
    this.heard = performance.now();
    if (m.type === 'pong') return;
    if (this.handler) this.handler(m);
    else this.queue.push(m);
  }

  send(type, data) {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    const m = data === undefined ? { type } : { type, data };
    try {
      this.ws.send(JSON.stringify(m));
      return true;
    } catch {
      return false;
    }
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  // close drops the connection; onclose is not called for it.
  close(reason = 'bye') {
    clearInterval(this.beat);
    this.onclose = null;
    this.handler = null;
    try {
      this.ws.close(1000, reason);
    } catch { /* already closed */ }
  }
}

// connect opens the signalling WebSocket and joins the room's call. It
// resolves {joined, session} or rejects with SignalError.
// knock: in a locked room, ask the host to let us in; onKnocking(data) is
// called when the server says we wait, and the wait is the host's (the
// server bounds it). control.cancel(), set here, gives up the join.
export function connect({ roomID, name, hostKey, rejoin, knock, onKnocking, control, timeoutMs = 15000 }) {
  return new Promise((resolve, reject) => {
    let ws;
    try {
      ws = new WebSocket(wsURL(), PROTOCOL);
    } catch (e) {
      reject(new SignalError('closed', 'could not open the connection'));
      return;
    }
    const session = new Session(ws);
    let state = 'hello'; // hello → joining → joined | failed
    let refusal = null;
    const fail = (err) => {
      if (state === 'joined' || state === 'failed') return;
      state = 'failed';
      clearTimeout(timer);
      try {
        ws.close();
      } catch { /* closed */ }
      reject(err);
    };
    const timer = setTimeout(() => fail(new SignalError('timeout', 'the server did not answer in time')), timeoutMs);
    if (control) control.cancel = () => fail(new SignalError('left', 'you stopped knocking'));

    ws.onmessage = async (ev) => {
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!m || typeof m.type !== 'string') return;
      const d = m.data || {};
      if (state === 'joined') {
        session.deliver(m);
        return;
      }
      if (m.type === 'error') {
        refusal = new SignalError(d.code || 'internal', d.message, { fatal: d.fatal, opensAt: d.opens_at });
        if (d.fatal) fail(refusal);
        return;
      }
      if (m.type === 'hello' && state === 'hello') {
        state = 'joining';
        try {
          const sig = await signJoin(roomID, String(d.challenge || ''));
          const join = { name, public_key: sig.public_key, signature: sig.signature };
          if (hostKey) join.host_key = hostKey;
          if (rejoin) join.rejoin = rejoin;
          if (knock) join.knock = true;
          if (state === 'joining') ws.send(JSON.stringify({ type: 'join', data: join }));
        } catch (e) {
          fail(new SignalError('identity', 'this browser could not sign the join: ' + (e && e.message)));
        }
        return;
      }
      if (m.type === 'knocking' && state === 'joining') {
        clearTimeout(timer); // the host answers in their own time
        if (onKnocking) onKnocking(d);
        return;
      }
      if (m.type === 'joined' && state === 'joining') {
        state = 'joined';
        clearTimeout(timer);
        resolve({ joined: d, session });
      }
    };
    ws.onclose = (ev) => {
      if (state === 'joined') {
        clearInterval(session.beat);
        if (session.closed) return; // dropped already (the heartbeat)
        session.closed = { code: ev.code, reason: ev.reason || '' };
        const cb = session.onclose;
        session.onclose = null;
        if (cb) cb(session.closed);
        return;
      }
      fail(refusal || new SignalError('closed', ev.reason || 'the connection closed', { closeCode: ev.code }));
    };
    ws.onerror = () => { /* onclose follows with the details */ };
  });
}
