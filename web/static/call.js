// A place in a room's call, as pkg/client's Call is for Go: the signalling
// session, the two PeerConnections of docs/protocol.md (publish: this
// browser offers; subscribe: the server offers and this browser answers),
// remote tracks matched to participants, mute, chat, host actions, stats,
// and reconnecting: an ICE restart on the same connections when ICE fails
// after having connected, else a rejoin after a drop (250 ms doubling to
// 2 s, for up to RECONNECT_FOR_MS as pkg/client does),
// never after removed, ended or a refusal that cannot change. A shared
// screen is one more sender on publish, declared with kind "screen".
//
// The call reports what happens through onEvent(type, detail); the page
// draws it. Types: phase, joined, participants, participant, left, media,
// speaking, chat, room, notice, local, screen, stats, end.

import { connect, SignalError } from './signal.js';
import { CODES, FINAL_CODES } from './codes.js';
import { acquire, stopTrack } from './media.js';
import { sleep } from './util.js';
import { iceRestart } from './restart.js';

// RECONNECT_FOR_MS bounds the time spent getting back after a drop
// (pkg/client's DefaultReconnectFor): a 90 s cut is survived.
const RECONNECT_FOR_MS = 120000;
const MAX_BACKOFF_MS = 2000;
const STATS_EVERY = 2000;

// view (docs/protocol.md, "What reaches you"): the others' video and
// screen tracks this page does not show, so the server stops sending them.
// At most 200 ids in one view (MaxViewTracks); at most 4 views a second; a
// track shown again goes out at once, one hidden waits a little for the
// layout to settle (a tile scrolled past, a spotlight switching).
// The view also says how large each shown track is drawn, in device
// pixels, rounded up to VIEW_SIZE_STEP so a window being resized does not
// send a view per pixel; a tile that grows goes at once, one that shrinks
// waits like a hide.
const MAX_VIEW_TRACKS = 200;
const VIEW_GAP = 250;
const VIEW_HIDE_DELAY = 300;
const VIEW_SIZE_STEP = 16;

// The camera goes out as simulcast: up to three encodings of one track,
// named by the RIDs the server knows (q, h, f: a quarter, half and the
// full size), so each viewer gets the one that fills its tile. Chromium
// sends at most 3 layers of a picture of 960x540 or more, 2 of 480x270 or
// more, else 1 (its simulcast layer limit), and it drops the *largest*
// past that limit: so the camera asks for only as many as its capture
// size allows (cameraEncodings). The browser may still stop a layer its
// CPU or uplink cannot keep up with; the server then moves its viewers to
// another. A browser that refuses simulcast sends CAMERA_SINGLE.
const CAMERA_MAX_FPS = 30;
const CAMERA_LAYERS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 120_000, maxFramerate: CAMERA_MAX_FPS },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 350_000, maxFramerate: CAMERA_MAX_FPS },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 900_000, maxFramerate: CAMERA_MAX_FPS },
];
const CAMERA_SINGLE = [{ maxBitrate: 700_000, maxFramerate: CAMERA_MAX_FPS }];

// cameraEncodings is the simulcast encodings for a camera track of the
// size it captures (all three when the size is unknown), or null when one
// encoding is all it can carry.
export function cameraEncodings(track) {
  const st = track && track.getSettings ? track.getSettings() : {};
  const px = (st.width || 0) * (st.height || 0);
  const n = !px || px >= 960 * 540 ? 3 : px >= 480 * 270 ? 2 : 1;
  if (n < 2) return null;
  return CAMERA_LAYERS.slice(CAMERA_LAYERS.length - n).map((e) => ({ ...e }));
}

// A shared screen is text and lines more than motion: a few frames a
// second at up to 1080p, with the bitrate the terminal client uses too.
const SCREEN_BITRATE = 1_500_000;
const SCREEN_MAX_FPS = 15;
const SCREEN_CONSTRAINTS = {
  video: { frameRate: { ideal: 10, max: SCREEN_MAX_FPS }, width: { max: 1920 }, height: { max: 1080 } },
  audio: false,
  // Sharing this very tab would show the call inside itself.
  selfBrowserSurface: 'exclude',
};

// Why a call ended, as #end-screen's data-reason says it: the page's own
// reasons (removed, left, lost), 'ended' for the room ending, a final
// refusal of the person or the room (codes.js: final and refused or not
// found) by its code; else 'error', shown with its message. A final
// forbidden is a host key or action the page got wrong: an error too.
const OWN_REASONS = new Set(['ended', 'removed', 'left', 'lost']);
export function endReason(code) {
  if (code === 'room_ended') return 'ended';
  if (OWN_REASONS.has(code)) return code;
  const c = Object.hasOwn(CODES, code) ? CODES[code] : null;
  if (c && c.final && (c.exit === 'refused' || c.exit === 'not_found') && code !== 'forbidden') return code;
  return 'error';
}

// parseSDP returns, per m-section, its mid, kind, direction and msid.
export function parseSDP(sdp) {
  const out = [];
  let cur = null;
  for (const line of String(sdp || '').split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      cur = { kind: line.slice(2).split(' ')[0], mid: null, dir: 'sendrecv', stream: null, track: null };
      out.push(cur);
    } else if (cur) {
      if (line.startsWith('a=mid:')) cur.mid = line.slice(6).trim();
      else if (line.startsWith('a=msid:')) {
        const [s, t] = line.slice(7).trim().split(/\s+/);
        cur.stream = s || null;
        cur.track = t || null;
      } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line.trim())) cur.dir = line.trim().slice(2);
    }
  }
  return out;
}

export class Call {
  // opts: {roomID, name, hostKey, audio: track|null, video: track|null,
  // muted: {audio, video}, devices: {audioId, videoId}, onEvent}
  constructor(opts) {
    this.roomID = opts.roomID;
    this.name = opts.name;
    this.hostKey = opts.hostKey || '';
    this.knock = !!opts.knock; // ask the host to let us into a locked room
    // relay: only relayed (TURN) candidates, for tests (the page's
    // ?transport=relay); it sends our own media through the same
    // server's relay, nowhere else.
    this.relay = !!opts.relay;
    this.knocking = null; // while waiting: the server's knocking data
    this.connecting = {}; // connect's control: cancel() gives up a join
    this.knocks = new Map(); // as host: who knocks, by knock id → {id, name, at}
    this.onEvent = opts.onEvent || (() => {});
    this.devices = opts.devices || {};
    this.local = { audio: opts.audio || null, video: opts.video || null, screen: null };
    this.screenStream = null; // the shared screen's own stream, apart from the camera's
    this.screenPending = false; // the browser's picker is open
    this.muted = { audio: !!(opts.muted && opts.muted.audio) || !this.local.audio, video: !!(opts.muted && opts.muted.video) || !this.local.video };
    // opts.media, a promise of {audio, video} tracks, lets the call connect
    // while the camera and microphone are still starting.
    if (opts.media) {
      this.muted = { audio: false, video: false };
      this.mediaPending = true;
      opts.media.then((got) => this.mediaArrived(got || {}), () => this.mediaArrived({}));
    }
    if (this.local.audio) this.local.audio.enabled = !this.muted.audio;
    if (this.local.video && this.muted.video) {
      stopTrack(this.local.video);
      this.local.video = null;
    }
    this.localStream = new MediaStream();
    this.phase = 'idle';
    this.final = null;
    this.me = null;
    this.room = null;
    this.session = null;
    this.pub = null;
    this.sub = null;
    this.senders = {};
    this.participants = new Map(); // id → {id, name, host, muted, speaking, active, tracks: Map}
    this.remote = new Map(); // server track id → {id, participant, kind, track}
    this.trackInfo = new Map(); // server track id → {id, participant_id, kind}
    this.stats = { rtt: null, loss: 0, upLoss: 0, framesDecoded: 0, framesSent: 0, bytesReceived: 0, bytesSent: 0, quality: 'connecting' };
    this.prevCounts = null;
    this.reconnects = 0;
    this.simulcast = null; // whether the camera goes out as simulcast (null: not tried yet)
    this.log = [];
    this.lastFatal = null;
    this.statsTimer = 0;
    // want, wantSizes: what the page hides now and how large it draws the
    // rest; sent, sentSizes: what this connection was last told (a new
    // connection shows everything, in the largest size); at: when; timer:
    // a view waiting for its turn.
    this.view = { want: [], wantSizes: {}, sent: [], sentSizes: {}, at: -Infinity, timer: 0, timerAt: 0 };
    // sendLayers: the last `layers` for the camera on this connection
    // ({track, active}; null: none yet, every encoding on).
    this.sendLayers = null;
  }

  emit(type, detail) {
    try {
      this.onEvent(type, detail);
    } catch (e) {
      this.note('ui', e);
    }
  }

  // note keeps a short diagnostic log for roomsDebug (not the console).
  note(what, err) {
    this.log.push({ at: new Date().toISOString(), t: Math.round(performance.now()), what, err: err ? String(err.message || err) : '' });
    if (this.log.length > 200) this.log.shift();
  }

  setPhase(p, detail) {
    this.phase = p;
    this.note('phase ' + p, detail && detail.attempt ? 'attempt ' + detail.attempt : '');
    this.emit('phase', Object.assign({ phase: p }, detail || {}));
  }

  // start joins and keeps the call going until it ends.
  async start() {
    this.setPhase('connecting');
    let attempt = 0;
    let delay = 250;
    let lostAt = 0;
    while (!this.final) {
      let closed;
      let current = null;
      try {
        this.connecting = {};
        const { joined, session } = await connect({
          roomID: this.roomID, name: this.name, hostKey: this.hostKey, rejoin: this.me ? this.me.id : '', knock: this.knock, control: this.connecting,
          onKnocking: (d) => {
            this.knocking = d;
            this.emit('knocking', d);
          },
        });
        this.knocking = null;
        if (this.final) {
          session.close();
          return;
        }
        attempt = 0;
        delay = 250;
        lostAt = 0;
        current = session;
        closed = new Promise((resolve) => this.attach(joined, session, resolve));
      } catch (e) {
        if (this.final) return;
        this.note('connect', e);
        if (e instanceof SignalError && FINAL_CODES.has(e.code)) {
          this.finish(e.code, e.message, { opensAt: e.opensAt });
          return;
        }
      }
      if (closed) {
        const info = await closed;
        if (this.final) return;
        this.note('closed', `${info.code} ${info.reason}`);
        if (info.reason === CLOSE_MEDIA_FAILED) this.mediaFailed(null, '', current);
        const f = this.lastFatal;
        if (f && FINAL_CODES.has(f.code)) {
          this.finish(f.code, f.message);
          return;
        }
      }
      this.lastFatal = null;
      attempt++;
      if (!lostAt) lostAt = this.interruptedAt || performance.now();
      if (performance.now() - lostAt > RECONNECT_FOR_MS) {
        this.finish('lost', `The connection to the server was lost, and ${Math.round(RECONNECT_FOR_MS / 1000)} s of trying again did not bring it back.`);
        return;
      }
      this.reconnects++;
      this.stopStats();
      this.setPhase('reconnecting', { attempt, wasIn: !!this.me });
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  // attach sets up a joined session: fresh PeerConnections, the people
  // already in, our tracks published again.
  attach(joined, session, onClosed) {
    this.closePeers();
    this.session = session;
    this.me = joined.you || {};
    this.room = joined.room || this.room;
    this.chain = Promise.resolve();
    this.offering = false;
    this.again = false;
    this.pendPub = [];
    this.pendSub = [];
    this.subLayout = [];
    this.sendLayers = null; // the new server peer knows nothing: every encoding starts on
    this.remote.clear();
    this.knocks.clear(); // a host (re)joining is sent every knock still waiting
    this.trackInfo.clear();
    const seen = new Set();
    for (const p of joined.participants || []) {
      if (!p || !p.id || p.id === this.me.id) continue;
      seen.add(p.id);
      this.upsert(p);
      for (const t of p.tracks || []) this.trackInfo.set(t.id, t);
    }
    for (const id of [...this.participants.keys()]) {
      if (!seen.has(id)) this.participants.delete(id);
    }
    this.resetICE();
    this.makePeers(iceServers(joined.ice_servers));
    // The view belongs to the connection: this one shows everything until
    // told otherwise, so the page's view goes again (the ids of the others'
    // tracks do not change when we reconnect).
    this.resetView();
    this.setPhase('joined');
    this.emit('joined', { you: this.me, room: this.room, rejoin: this.reconnects > 0 });
    this.emit('participants', null);
    session.start((m) => {
      // The end of the call is decided at once, not behind queued SDP
      // work: the close that follows must not look like a drop.
      const d = m.data || {};
      if (m.type === 'removed' || m.type === 'ended' || (m.type === 'error' && d.fatal)) {
        this.handle(session, m).catch((e) => this.note('handle ' + m.type, e));
        return;
      }
      this.chain = this.chain.then(() => this.handle(session, m)).catch((e) => this.note('handle ' + m.type, e));
    }, (info) => {
      if (this.session === session) this.session = null;
      onClosed(info);
    });
    // The server starts every join unmuted: say again what we muted.
    if (!this.mediaPending) {
      if (this.muted.audio) session.send('mute', { kind: 'audio', muted: true });
      if (this.muted.video) session.send('mute', { kind: 'video', muted: true });
    }
    this.publishAll();
    this.startStats();
    this.scheduleView();
  }

  upsert(p) {
    const old = this.participants.get(p.id);
    const entry = old || { id: p.id, speaking: false, active: false };
    entry.name = p.name;
    entry.host = !!p.host;
    entry.muted = { audio: !!(p.muted && p.muted.audio), video: !!(p.muted && p.muted.video) };
    entry.joinedAt = p.joined_at;
    if (p.speaking !== undefined) entry.speaking = !!p.speaking; // the server says who speaks at join
    this.participants.set(p.id, entry);
    return entry;
  }

  makePeers(servers) {
    const cfg = { bundlePolicy: 'max-bundle', iceServers: servers || [] };
    if (this.relay) {
      cfg.iceTransportPolicy = 'relay';
      if (!cfg.iceServers.length) this.note('relay', new Error('transport=relay, but the server hands out no TURN server (roomsd --turn)'));
    }
    const pub = new RTCPeerConnection(cfg);
    const sub = new RTCPeerConnection(cfg);
    this.pub = pub;
    this.sub = sub;
    this.remoteSeen = '';
    this.senders = {};
    for (const [pc, name] of [[pub, 'publish'], [sub, 'subscribe']]) {
      pc.onicecandidate = (e) => {
        if (this[name === 'publish' ? 'pub' : 'sub'] !== pc || !this.session) return;
        const c = e.candidate;
        if (c && !c.candidate) return; // per-section end marks; the null below ends it all
        const data = c
          ? { pc: name, candidate: c.candidate, sdp_mid: c.sdpMid ?? undefined, sdp_mline_index: c.sdpMLineIndex ?? undefined }
          : { pc: name, candidate: '' };
        this.session.send('candidate', data);
      };
      pc.oniceconnectionstatechange = () => {
        if ((name === 'publish' ? this.pub : this.sub) !== pc) return;
        const st = pc.iceConnectionState;
        if (this.iceState(pc, name, st)) return; // an interruption: restart.js
        if (st === 'failed') {
          // ICE failed on every path: say so (the close below then
          // rejoins with fresh connections).
          this.mediaFailed(pc, name, this.session);
        } else if (st === 'connected' || st === 'completed') {
          this.emit('mediaconnected', { pc: name });
        }
      };
      pc.onconnectionstatechange = () => {
        if ((name === 'publish' ? this.pub : this.sub) !== pc) return;
        this.note(name + ' connection', pc.connectionState);
        this.emit('stats', this.stats);
        if (pc.connectionState === 'failed' && this.session && !this.iceRestarting(name)) {
          // The server closes us too; do not wait for it.
          const s = this.session;
          setTimeout(() => {
            if (this.session === s && pc.connectionState === 'failed') s.ws.close();
          }, 3000);
        }
      };
    }
    sub.ontrack = () => this.reconcile();
  }

  // mediaFailed says, once a session, that media could not connect, with
  // the server's candidates pc tried; name is the connection, '' when the
  // server's side gave up first (its close says CLOSE_MEDIA_FAILED).
  mediaFailed(pc, name, session) {
    if (this.mediaFailedIn === session) return;
    this.mediaFailedIn = session;
    let tried = pc ? triedTransports(pc) : [];
    if (tried.length === 0) tried = triedTransports({ remoteDescription: { sdp: this.remoteSeen || '' } });
    this.note((name || 'server') + ' media failed', tried.join(', '));
    this.emit('mediafailed', { pc: name, tried, reason: mediaFailedReason(tried) });
  }

  closePeers() {
    for (const pc of [this.pub, this.sub]) {
      if (pc) {
        try {
          pc.close();
        } catch { /* closed */ }
      }
    }
    this.pub = null;
    this.sub = null;
    this.senders = {};
  }

  async handle(session, m) {
    if (session !== this.session) return;
    const d = m.data || {};
    switch (m.type) {
      case 'offer':
        if (d.pc === 'subscribe') await this.onSubscribeOffer(d.sdp);
        break;
      case 'answer':
        if (d.pc === 'publish') await this.onPublishAnswer(d.sdp);
        break;
      case 'candidate':
        await this.onCandidate(d);
        break;
      case 'participant_joined':
        if (d.id && d.id !== this.me.id) {
          const p = this.upsert(d);
          this.emit('participant', { participant: p, joined: true });
        }
        break;
      case 'participant_left': {
        const p = this.participants.get(d.id);
        if (p) {
          this.participants.delete(d.id);
          for (const [tid, t] of this.remote) if (t.participant === d.id) this.remote.delete(tid);
          this.emit('left', { participant: p, reason: d.reason });
        }
        break;
      }
      case 'track_published':
        if (d.id) {
          this.trackInfo.set(d.id, d);
          this.reconcile();
        }
        break;
      case 'track_unpublished':
        if (d.id) {
          this.trackInfo.delete(d.id);
          if (this.remote.delete(d.id)) this.emit('media', { participant: d.participant_id });
        }
        break;
      case 'layers':
        await this.onLayers(d);
        break;
      case 'bandwidth': {
        // The others' video the server pauses for our downlink: their
        // tiles say so rather than freeze on their last frame.
        const paused = new Set((Array.isArray(d.paused) ? d.paused : []).slice(0, 100).map(String));
        const slow = new Set();
        for (const [tid, t] of this.trackInfo) if (paused.has(tid) && t.kind === 'video') slow.add(t.participant_id);
        for (const p of this.participants.values()) {
          if (!!p.slowLink !== slow.has(p.id)) {
            p.slowLink = slow.has(p.id);
            this.emit('participant', { participant: p });
          }
        }
        break;
      }
      case 'room_updated':
        this.room = d;
        this.emit('room', d);
        break;
      case 'mute':
        if (d.participant_id && d.participant_id !== this.me.id) {
          const p = this.participants.get(d.participant_id);
          if (p && (d.kind === 'audio' || d.kind === 'video')) {
            p.muted[d.kind] = !!d.muted;
            this.emit('participant', { participant: p });
          }
        }
        break;
      case 'speaking': {
        if (d.active) for (const p of this.participants.values()) p.active = p.id === d.participant_id;
        const p = this.participants.get(d.participant_id);
        if (p) p.speaking = !!d.speaking;
        if (d.participant_id === this.me.id) this.meSpeaking = !!d.speaking;
        this.emit('speaking', { id: d.participant_id, speaking: !!d.speaking, active: !!d.active, me: d.participant_id === this.me.id });
        break;
      }
      case 'chat':
        this.emit('chat', { from: d.from, name: d.name, text: String(d.text || ''), at: d.at, mine: d.from === this.me.id });
        break;
      case 'knock': {
        if (!d.id) break;
        const fresh = !this.knocks.has(String(d.id)); // a knock may come twice as a host joins
        this.knocks.set(String(d.id), { id: String(d.id), name: String(d.name || ''), at: d.at });
        this.emit('knocks', { knocks: [...this.knocks.values()], added: fresh ? d : null });
        break;
      }
      case 'knock_ended':
        this.knocks.delete(String(d.id));
        this.emit('knocks', { knocks: [...this.knocks.values()] });
        break;
      case 'removed':
        this.finish('removed', d.reason);
        break;
      case 'ended':
        this.finish('ended', d.reason);
        break;
      case 'error':
        if (d.fatal) {
          this.lastFatal = { code: d.code, message: d.message };
          if (FINAL_CODES.has(d.code)) this.finish(d.code, d.message, { opensAt: d.opens_at });
        } else if (d.code === 'screen_share_limit') {
          // The server drops the refused screen; take it back too.
          this.note('refused: ' + d.code, d.message);
          this.stopScreen('refused', { sharers: Array.isArray(d.sharers) ? d.sharers.map(String) : [], message: d.message });
        } else {
          this.note('refused: ' + d.code, d.message);
          this.emit('notice', { code: d.code, message: d.message });
        }
        break;
      default:
        break; // rooms.v1 may grow: ignore what we do not know
    }
  }

  // --- subscribe: the server offers, we answer ---

  async onSubscribeOffer(sdp) {
    const sub = this.sub;
    if (!sub) return;
    this.subLayout = parseSDP(sdp);
    this.remoteSeen = (this.remoteSeen || '') + '\n' + sdp; // to say what media tried
    await sub.setRemoteDescription({ type: 'offer', sdp });
    const pending = this.pendSub;
    this.pendSub = [];
    for (const c of pending) await sub.addIceCandidate(c).catch((e) => this.note('sub candidate', e));
    const answer = await sub.createAnswer();
    await sub.setLocalDescription(answer);
    if (this.sub === sub && this.session) this.session.send('answer', { pc: 'subscribe', sdp: sub.localDescription.sdp });
    this.reconcile();
  }

  // reconcile matches the subscribe connection's receivers to
  // participants: stream id = participant id, track id = the server's
  // Track.id, read from the offer's msid lines by mid.
  reconcile() {
    const sub = this.sub;
    if (!sub) return;
    const byMid = new Map(this.subLayout.map((s) => [s.mid, s]));
    const now = new Map();
    for (const tr of sub.getTransceivers()) {
      const s = byMid.get(tr.mid);
      if (!s || !s.stream || !s.track || s.dir === 'inactive' || s.dir === 'recvonly') continue;
      if (!tr.receiver || !tr.receiver.track) continue;
      const info = this.trackInfo.get(s.track);
      const kind = info ? info.kind : (s.kind === 'audio' ? 'audio' : 'video');
      // known: the kind came from track_published, not guessed from the
      // media type (a screen looks like video until then).
      now.set(s.track, { id: s.track, participant: s.stream, kind, known: !!info, track: tr.receiver.track, mid: tr.mid });
    }
    const touched = new Set();
    for (const [id, t] of this.remote) {
      const n = now.get(id);
      if (!n || n.track !== t.track || n.kind !== t.kind) {
        this.remote.delete(id);
        touched.add(t.participant);
      } else if (n.known !== t.known) {
        t.known = n.known;
        touched.add(t.participant);
      }
    }
    for (const [id, t] of now) {
      if (!this.remote.has(id)) {
        this.remote.set(id, t);
        touched.add(t.participant);
      }
    }
    for (const pid of touched) this.emit('media', { participant: pid });
  }

  // mediaOf gives a participant's tracks: the camera (for their tile),
  // the shared screen (for the spotlight) and every audio track. A video
  // whose kind is still a guess yields to one the server named: it may be
  // a screen whose track_published has not come yet.
  mediaOf(pid) {
    let video = null, screen = null;
    const audio = [];
    for (const t of this.remote.values()) {
      if (t.participant !== pid) continue;
      if (t.kind === 'audio') audio.push(t);
      else if (t.kind === 'screen') screen = t;
      else if (!video || (t.known && !video.known)) video = t;
    }
    return { video, audio, screen };
  }

  // screens lists the others' shared screens arriving, in the order they
  // came: [{id, participant, track}].
  screens() {
    return [...this.remote.values()].filter((t) => t.kind === 'screen' && this.participants.has(t.participant));
  }

  async onCandidate(d) {
    if (d.candidate) this.remoteSeen = (this.remoteSeen || '') + '\na=' + d.candidate;
    const init = { candidate: d.candidate || '', sdpMid: d.sdp_mid ?? null, sdpMLineIndex: d.sdp_mline_index ?? null };
    if (init.sdpMid === null && init.sdpMLineIndex === null) init.sdpMLineIndex = 0;
    if (d.pc === 'publish') {
      if (!this.pub || !this.pub.remoteDescription || this.offering) {
        if (this.pendPub.length < 64) this.pendPub.push(init);
        return;
      }
      await this.pub.addIceCandidate(init).catch((e) => this.note('pub candidate', e));
    } else if (d.pc === 'subscribe') {
      if (!this.sub || !this.sub.remoteDescription) {
        if (this.pendSub.length < 64) this.pendSub.push(init);
        return;
      }
      await this.sub.addIceCandidate(init).catch((e) => this.note('sub candidate', e));
    }
  }

  // --- publish: we offer, the server answers ---

  mediaArrived(got) {
    this.mediaPending = false;
    if (this.final) {
      stopTrack(got.audio);
      stopTrack(got.video);
      return;
    }
    for (const kind of ['audio', 'video']) {
      this.local[kind] = got[kind] || null;
      if (!this.local[kind]) {
        this.muted[kind] = true;
        if (this.session) this.session.send('mute', { kind, muted: true });
      }
    }
    if (this.pub && this.session) this.publishAll();
    this.emit('local', { kind: 'both' });
  }

  publishAll() {
    let added = false;
    for (const kind of ['audio', 'video', 'screen']) {
      const t = this.local[kind];
      if (t && t.readyState === 'live' && !this.senders[kind]) {
        this.addSender(kind, t);
        added = true;
      }
    }
    if (added) this.negotiate();
  }

  addSender(kind, track) {
    if (kind === 'screen') return this.addScreenSender(track);
    if (!this.localStream.getTracks().includes(track)) {
      for (const old of this.localStream.getTracks()) if (old.kind === track.kind) this.localStream.removeTrack(old);
      this.localStream.addTrack(track);
    }
    const init = { direction: 'sendonly', streams: [this.localStream] };
    const tr = kind === 'video' ? this.addCameraTransceiver(track, init) : this.pub.addTransceiver(track, init);
    this.senders[kind] = tr.sender;
    return tr;
  }

  // addCameraTransceiver sends the camera as simulcast (CAMERA_LAYERS), or
  // as one encoding where the browser will not or the picture is too small
  // for two. this.simulcast says whether the browser took simulcast.
  // A camera replaced later (unmuted again) keeps the encodings it got.
  addCameraTransceiver(track, init) {
    const layers = cameraEncodings(track);
    if (this.simulcast !== false && layers) {
      try {
        const tr = this.pub.addTransceiver(track, Object.assign({}, init, { sendEncodings: layers }));
        this.simulcast = true;
        return tr;
      } catch (e) {
        this.note('simulcast refused', e);
        this.simulcast = false;
      }
    }
    return this.pub.addTransceiver(track, Object.assign({}, init, { sendEncodings: CAMERA_SINGLE.map((e) => ({ ...e })) }));
  }

  // addScreenSender sends a shared screen on a transceiver of its own, in
  // a stream of its own, so the camera's sender is never touched.
  addScreenSender(track) {
    if (!this.screenStream || !this.screenStream.getTracks().includes(track)) this.screenStream = new MediaStream([track]);
    const tr = this.pub.addTransceiver(track, {
      direction: 'sendonly',
      streams: [this.screenStream],
      sendEncodings: [{ maxBitrate: SCREEN_BITRATE, maxFramerate: SCREEN_MAX_FPS }],
    });
    this.senders.screen = tr.sender;
    return tr;
  }

  async negotiate() {
    const pub = this.pub;
    const session = this.session;
    if (!pub || !session) return;
    if (this.offering) {
      this.again = true;
      return;
    }
    this.offering = true;
    try {
      const offer = await pub.createOffer();
      await pub.setLocalDescription(offer);
      if (this.pub !== pub || this.session !== session) return;
      // Declare each track's kind by the id in our own msid lines.
      const tracks = {};
      const kindByMid = new Map();
      for (const tr of pub.getTransceivers()) {
        if (!tr.sender.track || tr.mid === null) continue;
        if (tr.sender === this.senders.screen) kindByMid.set(tr.mid, 'screen');
        else kindByMid.set(tr.mid, tr.sender.track.kind === 'audio' ? 'audio' : 'video');
      }
      for (const s of parseSDP(pub.localDescription.sdp)) {
        if (s.track && kindByMid.has(s.mid)) tracks[s.track] = kindByMid.get(s.mid);
      }
      session.send('offer', { pc: 'publish', sdp: pub.localDescription.sdp, tracks });
    } catch (e) {
      this.offering = false;
      this.note('publish offer', e);
    }
  }

  async onPublishAnswer(sdp) {
    const pub = this.pub;
    if (!pub || !this.offering) return;
    this.remoteSeen = (this.remoteSeen || '') + '\n' + sdp;
    await pub.setRemoteDescription({ type: 'answer', sdp });
    const pending = this.pendPub;
    this.pendPub = [];
    this.offering = false;
    await this.checkSimulcast(pub);
    for (const c of pending) await pub.addIceCandidate(c).catch((e) => this.note('pub candidate', e));
    if (this.again) {
      this.again = false;
      this.negotiate();
    }
  }

  // checkSimulcast: a server that answers without simulcast leaves the
  // camera sender only its first encoding, the quarter-size one; it is
  // made the full one again.
  async checkSimulcast(pub) {
    const sender = this.senders.video;
    if (!sender || !this.simulcast || this.pub !== pub) return;
    const p = sender.getParameters();
    const e = p.encodings || [];
    if (e.length !== 1 || !(e[0].scaleResolutionDownBy > 1)) return;
    this.note('simulcast', 'answered without simulcast: one encoding');
    e[0].scaleResolutionDownBy = 1;
    e[0].maxBitrate = CAMERA_SINGLE[0].maxBitrate;
    await sender.setParameters(p).catch((err) => this.note('simulcast fallback', err));
  }

  // cameraMsid is the id our publish offer gave the camera's track (its
  // msid), the one the server names it by; null when it has none yet.
  cameraMsid() {
    const sender = this.senders.video;
    const pub = this.pub;
    if (!sender || !pub || !pub.localDescription) return null;
    const tr = pub.getTransceivers().find((x) => x.sender === sender);
    if (!tr || tr.mid === null) return null;
    const s = parseSDP(pub.localDescription.sdp).find((x) => x.mid === tr.mid);
    return (s && s.track) || null;
  }

  // onLayers turns the camera's encodings on and off as the server's
  // `layers` says (docs/protocol.md): those it names go on, the rest off,
  // so the browser stops encoding and sending the layers nobody receives
  // until a later `layers` names them again (Chromium restarts a layer
  // with a keyframe). A message for a track that is not our camera is
  // ignored, and one that would leave no encoding on changes nothing. It
  // belongs to the connection: a new one has a new transceiver, with
  // every encoding on.
  async onLayers(d) {
    const sender = this.senders.video;
    const track = typeof d.track === 'string' ? d.track : '';
    if (!sender || !track || !Array.isArray(d.active)) return;
    const msid = this.cameraMsid();
    if (track !== msid && !(sender.track && sender.track.id === track)) {
      this.note('layers', `not our camera: ${track}`);
      return;
    }
    const active = d.active.map(String);
    this.sendLayers = { track, active };
    const p = sender.getParameters();
    const enc = p.encodings || [];
    const named = enc.filter((e) => e.rid);
    if (!named.length) return; // one encoding: nothing to choose
    const on = (e) => !e.rid || active.includes(e.rid);
    if (!enc.some(on)) {
      this.note('layers', `${active.join(',') || 'none'} names none of ${named.map((e) => e.rid).join(',')}: all stay on`);
      return;
    }
    let changed = false;
    for (const e of named) {
      const want = active.includes(e.rid);
      if (e.active !== want) {
        e.active = want;
        changed = true;
      }
    }
    if (!changed) return;
    try {
      await sender.setParameters(p);
      this.note('layers', 'sending ' + enc.filter((e) => e.active).map((e) => e.rid || '-').join(','));
    } catch (e) {
      this.note('layers', e);
    }
  }

  // layers describes what the camera sends, per encoding (outbound-rtp):
  // [{rid, active, width, height, bytesSent, framesSent, fps, limit}];
  // active is the encoding's, as set from the server's `layers`.
  async layers() {
    const sender = this.senders.video;
    if (!sender || !this.pub) return [];
    const on = new Map((sender.getParameters().encodings || []).map((e) => [e.rid || '', e.active !== false]));
    const out = [];
    (await sender.getStats()).forEach((s) => {
      if (s.type !== 'outbound-rtp') return;
      const rid = s.rid || '';
      out.push({
        rid, active: on.has(rid) ? on.get(rid) : s.active !== false, width: s.frameWidth || 0, height: s.frameHeight || 0,
        bytesSent: s.bytesSent || 0, framesSent: s.framesSent || 0, fps: s.framesPerSecond || 0,
        limit: s.qualityLimitationReason || '', encoder: s.encoderImplementation || '',
      });
    });
    return out.sort((a, b) => a.rid.localeCompare(b.rid));
  }

  // --- our own mute, camera and microphone ---

  // setMuted mutes or unmutes our microphone or camera: the others are
  // told (mute) and we stop sending (track.enabled = false; the camera is
  // also let go so its light goes off). Unmuting a device we do not hold
  // yet opens it. Returns a note when the device could not start.
  async setMuted(kind, muted) {
    if (this.final || this.mediaPending) return '';
    if (!muted && !this.local[kind]) {
      const got = await acquire({ audio: kind === 'audio', video: kind === 'video', audioId: this.devices.audioId, videoId: this.devices.videoId });
      const t = got[kind];
      if (!t) {
        const what = kind === 'audio' ? 'microphone' : 'camera';
        switch (got.problems[kind]) {
          case 'blocked': return `The ${what} is blocked for this site: allow it in the address bar, then try again.`;
          case 'missing': return `No ${what} found.`;
          case 'busy': return `The ${what} is in use by another app.`;
          case 'insecure': return `The ${what} needs https (or localhost).`;
          default: return `The ${what} could not start.`;
        }
      }
      if (this.final) {
        stopTrack(t);
        return '';
      }
      this.local[kind] = t;
      const sender = this.senders[kind];
      if (sender && this.pub && this.pub.signalingState !== 'closed') {
        for (const old of this.localStream.getTracks()) if (old.kind === t.kind) this.localStream.removeTrack(old);
        this.localStream.addTrack(t);
        await sender.replaceTrack(t).catch((e) => this.note('replace track', e));
      } else if (this.pub && this.session) {
        this.addSender(kind, t);
        this.negotiate();
      }
    }
    const t = this.local[kind];
    if (t) t.enabled = !muted;
    this.muted[kind] = muted;
    if (this.session) this.session.send('mute', { kind, muted });
    if (kind === 'video' && muted && t) {
      stopTrack(t);
      this.local.video = null;
    }
    this.emit('local', { kind });
    return '';
  }

  // --- sharing the screen ---

  // shareScreen asks the browser for a screen, window or tab and publishes
  // it as kind "screen". Returns a note for the person when nothing is
  // shared ('' when it is, or when the call is over). The server may still
  // refuse it (screen_share_limit): see stopScreen.
  async shareScreen() {
    if (this.final || this.local.screen || this.screenPending) return '';
    const md = navigator.mediaDevices;
    if (!md || typeof md.getDisplayMedia !== 'function') {
      return window.isSecureContext ? 'This browser cannot share its screen.' : 'Sharing the screen needs https (or localhost).';
    }
    this.screenPending = true;
    let stream;
    try {
      stream = await md.getDisplayMedia(SCREEN_CONSTRAINTS);
    } catch (e) {
      this.note('share screen', e);
      switch (e && e.name) {
        case 'NotAllowedError': return 'Screen sharing was cancelled.';
        case 'NotFoundError': return 'There is no screen to share.';
        case 'NotReadableError':
        case 'AbortError': return 'The screen could not be captured: another app may be holding it, or the system does not allow it.';
        default: return 'The screen could not be shared.';
      }
    } finally {
      this.screenPending = false;
    }
    const track = stream.getVideoTracks()[0];
    for (const t of stream.getAudioTracks()) stopTrack(t);
    if (!track) return 'The screen could not be shared.';
    if (this.final) {
      stopTrack(track);
      return '';
    }
    // 'detail' keeps text sharp: the encoder drops frames before detail.
    if ('contentHint' in track) track.contentHint = 'detail';
    // The browser's own "Stop sharing" ends the track: unpublish it too.
    track.onended = () => {
      if (this.local.screen === track) this.stopScreen('ended');
    };
    this.local.screen = track;
    if (this.pub && this.session) {
      this.addScreenSender(track);
      this.negotiate();
    }
    this.emit('screen', { sharing: true });
    return '';
  }

  // stopScreen stops sharing: the track stops, its sender goes (the
  // others get track_unpublished after the renegotiation). why is
  // 'stopped' (our button), 'ended' (the browser's), or 'refused' with
  // extra.sharers, who hold the call's screen-sharing places.
  stopScreen(why = 'stopped', extra = {}) {
    const track = this.local.screen;
    if (!track) return;
    this.local.screen = null;
    track.onended = null;
    stopTrack(track);
    const sender = this.senders.screen;
    delete this.senders.screen;
    this.screenStream = null;
    if (sender && this.pub && this.pub.signalingState !== 'closed') {
      try {
        this.pub.removeTrack(sender);
      } catch (e) {
        this.note('remove screen', e);
      }
      this.negotiate();
    }
    this.emit('screen', Object.assign({ sharing: false, reason: why }, extra));
  }

  // --- what this page shows: view ---

  // setView says which of the others' video and screen tracks (server
  // track ids) the page does not show now, and how large, in device
  // pixels, it draws those it shows ({id: {w, h}}; a track left out comes
  // in its largest size). The server is told when that changes, no more
  // than 4 times a second.
  setView(hidden, sizes) {
    const list = [...new Set((hidden || []).filter((id) => typeof id === 'string' && id))].sort();
    // Past the limit the server would refuse the whole view: the rest stay shown.
    const want = list.slice(0, MAX_VIEW_TRACKS);
    const skip = new Set(want);
    const q = (x) => Math.max(VIEW_SIZE_STEP, Math.ceil(x / VIEW_SIZE_STEP) * VIEW_SIZE_STEP);
    const out = {};
    let n = 0;
    for (const id of Object.keys(sizes || {}).sort()) {
      const sz = sizes[id];
      if (!id || skip.has(id) || !sz || !(sz.w > 0) || !(sz.h > 0)) continue;
      if (n++ >= MAX_VIEW_TRACKS) break;
      out[id] = { w: q(sz.w), h: q(sz.h) };
    }
    this.view.want = want;
    this.view.wantSizes = out;
    this.scheduleView();
  }

  // setHidden changes only what is hidden, keeping the sizes.
  setHidden(ids) {
    this.setView(ids, this.view.wantSizes);
  }

  // hidden is the view this connection has: the tracks the server does
  // not send us.
  hidden() {
    return this.view.sent.slice();
  }

  // viewSent is the whole view this connection was last sent: {hidden, sizes}.
  viewSent() {
    const sizes = {};
    for (const [id, s] of Object.entries(this.view.sentSizes)) sizes[id] = { ...s };
    return { hidden: this.view.sent.slice(), sizes };
  }

  resetView() {
    clearTimeout(this.view.timer);
    this.view.timer = 0;
    this.view.sent = [];
    this.view.sentSizes = {};
    this.view.at = -Infinity;
  }

  // viewKey is a view's identity, to tell whether it changed.
  static viewKey(hidden, sizes) {
    return hidden.join(',') + '|' + Object.keys(sizes).sort().map((id) => `${id}:${sizes[id].w}x${sizes[id].h}`).join(',');
  }

  scheduleView() {
    const v = this.view;
    if (this.final) return;
    if (Call.viewKey(v.want, v.wantSizes) === Call.viewKey(v.sent, v.sentSizes)) {
      clearTimeout(v.timer);
      v.timer = 0;
      return;
    }
    const now = performance.now();
    const want = new Set(v.want);
    // Urgent: a track shown again, or one drawn larger (or newly sized
    // after being hidden) than the server was told.
    const shows = v.sent.some((id) => !want.has(id)) || Object.entries(v.wantSizes).some(([id, s]) => {
      const was = v.sentSizes[id];
      return was ? s.w > was.w || s.h > was.h : false;
    });
    const gap = Math.max(0, v.at + VIEW_GAP - now);
    const wait = shows ? gap : Math.max(gap, VIEW_HIDE_DELAY);
    if (v.timer && v.timerAt <= now + wait) return; // one goes sooner: it sends what is wanted then
    clearTimeout(v.timer);
    v.timerAt = now + wait;
    v.timer = setTimeout(() => this.flushView(), wait);
  }

  flushView() {
    const v = this.view;
    v.timer = 0;
    const s = this.session;
    if (this.final || !s) return; // the next connection sends it
    if (Call.viewKey(v.want, v.wantSizes) === Call.viewKey(v.sent, v.sentSizes)) return;
    if (!s.send('view', { hidden: v.want, sizes: v.wantSizes })) return; // closing: the reconnect sends it
    v.sent = v.want;
    v.sentSizes = v.wantSizes;
    v.at = performance.now();
  }

  sendChat(text) {
    const s = String(text || '').trim();
    if (!s || !this.session) return false;
    return this.session.send('chat', { text: s });
  }

  // host sends a host action: remove (with a participant id), lock,
  // unlock, hide, unhide, end. There is no action to mute someone else.
  host(action, participantID) {
    if (!this.session) return false;
    const data = { action };
    if (participantID) data.participant_id = participantID;
    return this.session.send('host', data);
  }

  // answerKnock lets someone knocking in (admit) or turns them away, as host.
  answerKnock(id, admit) {
    if (!this.session) return false;
    return this.session.send('host', { action: admit ? 'admit' : 'deny', knock_id: id });
  }

  // cancelKnock stops waiting for the host.
  cancelKnock() {
    this.finish('left', 'You stopped knocking.');
    if (this.connecting.cancel) this.connecting.cancel();
  }

  // leave says goodbye and ends the call for us.
  leave() {
    if (this.session) this.session.send('leave');
    this.finish('left', 'You left the call.');
  }

  finish(code, message, extra = {}) {
    if (this.final) return;
    this.final = { reason: endReason(code), code, message: message || '', opensAt: extra.opensAt || null };
    this.stopStats();
    clearTimeout(this.view.timer);
    this.view.timer = 0;
    const s = this.session;
    this.session = null;
    if (s) s.close();
    this.closePeers();
    if (this.local.screen) this.local.screen.onended = null;
    for (const k of ['audio', 'video', 'screen']) {
      stopTrack(this.local[k]);
      this.local[k] = null;
    }
    this.remote.clear();
    this.phase = 'ended';
    this.emit('end', this.final);
  }

  // --- connection quality ---

  startStats() {
    this.stopStats();
    this.prevCounts = null;
    this.statsTimer = setInterval(() => this.collectStats().catch((e) => this.note('stats', e)), STATS_EVERY);
    setTimeout(() => this.collectStats().catch(() => {}), 500);
  }

  stopStats() {
    clearInterval(this.statsTimer);
    this.statsTimer = 0;
  }

  async collectStats() {
    const pub = this.pub, sub = this.sub;
    if (!pub || !sub) return;
    const [ps, ss] = await Promise.all([pub.getStats(), sub.getStats()]);
    let rtt = null, lost = 0, received = 0, framesDecoded = 0, bytesReceived = 0, framesSent = 0, bytesSent = 0;
    let upLoss = 0, upN = 0;
    const pairRTT = (report) => {
      let best = null;
      report.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) {
          const p = report.get(s.selectedCandidatePairId);
          if (p && typeof p.currentRoundTripTime === 'number') best = p.currentRoundTripTime;
        }
      });
      if (best === null) {
        report.forEach((s) => {
          if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' && typeof s.currentRoundTripTime === 'number') best = s.currentRoundTripTime;
        });
      }
      return best;
    };
    rtt = pairRTT(ps);
    if (rtt === null) rtt = pairRTT(ss);
    // A simulcast camera sends each frame once per layer: count it once.
    const framesBySource = new Map();
    ps.forEach((s) => {
      if (s.type === 'outbound-rtp') {
        bytesSent += s.bytesSent || 0;
        if (s.kind === 'video') {
          const k = s.mediaSourceId || s.id;
          framesBySource.set(k, Math.max(framesBySource.get(k) || 0, s.framesSent || 0));
        }
      } else if (s.type === 'remote-inbound-rtp' && typeof s.fractionLost === 'number') {
        upLoss += s.fractionLost;
        upN++;
      }
    });
    for (const n of framesBySource.values()) framesSent += n;
    ss.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        lost += Math.max(0, s.packetsLost || 0);
        received += s.packetsReceived || 0;
        bytesReceived += s.bytesReceived || 0;
        if (s.kind === 'video') framesDecoded += s.framesDecoded || 0;
      }
    });
    let loss = 0;
    if (this.prevCounts) {
      const dl = lost - this.prevCounts.lost;
      const dr = received - this.prevCounts.received;
      loss = dl + dr > 0 ? Math.max(0, dl) / (Math.max(0, dl) + Math.max(0, dr)) : 0;
    }
    this.prevCounts = { lost, received };
    upLoss = upN ? upLoss / upN : 0;
    const states = [pub.connectionState, sub.connectionState];
    const worst = Math.max(loss, upLoss);
    let quality = 'good';
    if (states.includes('failed') || states.includes('disconnected')) quality = 'bad';
    else if (worst > 0.08 || (rtt !== null && rtt > 0.5)) quality = 'bad';
    else if (worst > 0.02 || (rtt !== null && rtt > 0.25)) quality = 'fair';
    else if (states.every((x) => x === 'new')) quality = 'good'; // nothing to send or receive yet
    else if (pub.connectionState !== 'connected' && sub.connectionState !== 'connected') quality = 'connecting';
    this.stats = { rtt, loss, upLoss, framesDecoded, framesSent, bytesReceived, bytesSent, quality, publish: pub.connectionState, subscribe: sub.connectionState };
    this.emit('stats', this.stats);
  }
}

// CLOSE_MEDIA_FAILED is pkg/api's CloseMediaFailed: roomsd closes the
// call connection with it when its side of our media gave up.
export const CLOSE_MEDIA_FAILED = 'your media connection failed; reconnect';

// triedTransports lists the server's candidates in pc's remote
// description, as "udp 192.0.2.1:7882" (pkg/client's MediaFailed says
// the same).
export function triedTransports(pc) {
  const sdp = (pc.remoteDescription && pc.remoteDescription.sdp) || '';
  const out = [];
  for (const line of sdp.split(/\r?\n/)) {
    const f = line.replace(/^a=candidate:/, 'candidate:').startsWith('candidate:') ? line.trim().split(/\s+/) : null;
    if (!f || f.length < 8) continue;
    const ip = f[4].includes(':') ? `[${f[4]}]` : f[4];
    let t = `${f[2].toLowerCase()} ${ip}:${f[5]}`;
    if (f[7] === 'relay') t += ' (relay)';
    if (!out.includes(t)) out.push(t);
  }
  return out.sort();
}

// mediaFailedReason says what a failure on these transports means.
export function mediaFailedReason(tried) {
  if (tried.length === 0) return 'Media could not connect: the server offered no address to reach.';
  const udp = tried.filter((t) => t.startsWith('udp ') && !t.endsWith(')')).map((t) => t.slice(4));
  if (udp.length === tried.length) {
    return `Media could not connect: tried UDP to ${udp.join(', ')}; UDP may be blocked on this network. Try another network, or ask the server's operator for TCP or TURN.`;
  }
  const tcp = tried.filter((t) => t.startsWith('tcp ') && !t.endsWith(')')).map((t) => t.slice(4));
  if (udp.length + tcp.length === tried.length && udp.length === tcp.length && udp.every((a, i) => a === tcp[i])) {
    return `Media could not connect: tried UDP and TCP to ${udp.join(', ')}; UDP may be blocked on this network, and TCP to the media port too. Try another network, or ask the server's operator for TURN.`;
  }
  return `Media could not connect: tried ${tried.join(', ')}; this network may block them. Try another network.`;
}

// iceServers keeps the TURN servers of a join within the bounds pkg/api
// sets (api.MaxICEServers, MaxICEURLs, MaxICEURLLen, MaxICECredLen): TURN
// URLs only, strings only; anything else is dropped, not believed.
export function iceServers(list) {
  const out = [];
  if (!Array.isArray(list)) return out;
  for (const s of list) {
    if (out.length === 4) break;
    if (!s || typeof s.username !== 'string' || typeof s.credential !== 'string') continue;
    if (!s.username || !s.credential || s.username.length > 256 || s.credential.length > 256) continue;
    const urls = (Array.isArray(s.urls) ? s.urls : [])
      .filter((u) => typeof u === 'string' && u.length <= 256 && /^turns?:/.test(u))
      .slice(0, 8);
    if (urls.length) out.push({ urls, username: s.username, credential: s.credential });
  }
  return out;
}

Object.assign(Call.prototype, iceRestart);
