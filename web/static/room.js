// The room page (/r/{id}): load the room and its theme, the pre-join
// screen, the call, and a clear page for every way a call can end.
//
// URL hints, for tests and for links that should skip the pre-join screen
// (the query string only; nothing secret goes there):
//   ?autojoin=1        join at once with camera and microphone, no pre-join screen
//   &name=NAME         the display name (also fills the pre-join field)
//   &camera=0, &mic=0  join with that device off
// The host key comes in the fragment, #host=rhk_..., and is taken out of
// the address bar at once (identity.js).
//
// window.roomsDebug = {state(), participants(), screens(), stats(), log(),
// hidden(), view(), layers(), receivers()}
// returns plain objects describing the page, for tests and for curious
// people.

import { $, h, api, apiBase, applyTheme, findTheme, themes, roomTitle, DEFAULT_THEME, localWhen, countdown } from './util.js';
import { takeHostKey, hostKey, forgetHostKey, identity, savedName, checkName } from './identity.js';
import { acquire, savedDevices } from './media.js';
import { Call } from './call.js';
import { CallView, toast } from './ui.js';
import { prejoin } from './prejoin.js';

const roomID = (document.querySelector('meta[name="rooms-room"]') || {}).content || '';
const linkMeta = (document.querySelector('meta[name="rooms-link"]') || {}).content || '';
const params = new URLSearchParams(location.search);

const page = {
  phase: 'loading',
  room: null,
  theme: DEFAULT_THEME,
  title: 'Room',
  call: null,
  view: null,
  choice: null, // what the last join used: {name, muted, devices}
  end: null,
  waitTimer: 0,
  hostKeyGiven: false,
};

function link() {
  return (page.room && page.room.link) || linkMeta || location.origin + location.pathname;
}

function setPhase(p) {
  page.phase = p;
  document.body.dataset.phase = p;
}

// --- end screens ---

const END_TEXT = {
  removed: ['You were removed from the call', 'The host took you out of this room. You cannot join it again.'],
  ended: ['This room has ended', 'The call is over. Thanks for coming.'],
  room_full: ['This room is full', 'Everyone it has room for is already in. Try again in a little while.'],
  room_locked: ['This room is locked', 'The host is not letting anyone new in right now. You can ask to join: the host sees your name and lets you in, or not.'],
  knock_declined: ['The host did not let you in', 'You asked to join and the host declined. You cannot ask again in this room.'],
  knock_timeout: ['Nobody answered', 'The host did not answer in time. Try again later, or ask them to unlock the room.'],
  banned: ['You cannot join this room', 'The host removed you from this room earlier.'],
  room_not_found: ['No room here', 'This link does not lead to a room. Check it with whoever sent it to you.'],
  not_open_yet: ['This room is not open yet', ''],
  lost: ['Connection lost', 'The server could not be reached. Check your connection and try again.'],
  replaced: ['You joined from somewhere else', 'This browser joined the call in another tab or window, so this one left.'],
  left: ['You left the call', ''],
  error: ['Something went wrong', ''],
};

function hideScreens() {
  for (const id of ['loading', 'prejoin', 'call']) $(id).hidden = true;
  for (const id of ['end-screen', 'knock-wait']) {
    const old = $(id);
    if (old) old.remove();
  }
  clearInterval(page.waitTimer);
  page.waitTimer = 0;
}

function showEnd(reason, info = {}) {
  hideScreens();
  page.end = { reason, code: info.code || reason, message: info.message || '', opensAt: info.opensAt || null };
  setPhase(reason === 'not_open_yet' ? 'waiting' : 'ended');
  const [title, text] = END_TEXT[reason] || END_TEXT.error;
  const body = [];
  const actions = [];
  const retry = (label) => {
    const b = h('button', { type: 'button', class: 'primary', id: 'end-retry' }, label);
    b.addEventListener('click', () => rejoin());
    actions.push(b);
  };
  const knock = (label) => {
    const b = h('button', { type: 'button', class: 'primary', id: 'knock' }, label);
    b.addEventListener('click', () => rejoin({ knock: true }));
    actions.push(b);
  };
  if (reason === 'room_locked') knock('Ask to join');
  if (reason === 'knock_timeout') knock('Ask again');
  let heading = title;
  if (reason === 'not_open_yet') {
    const at = new Date(info.opensAt || (page.room && page.room.starts_at) || Date.now());
    heading = `Opens ${localWhen(at)}`;
    const cd = h('p', { class: 'countdown', id: 'countdown', 'aria-live': 'off' });
    body.push(h('p', {}, 'This room is booked and not open yet. You will join by yourself when it opens.'), cd);
    const tick = () => {
      const ms = at.getTime() - Date.now();
      cd.textContent = ms > 0 ? `in ${countdown(ms)}` : 'Opening…';
      if (ms <= 0) {
        clearInterval(page.waitTimer);
        page.waitTimer = 0;
        // A little jitter so a crowd waiting for the same minute does not arrive at once.
        setTimeout(() => {
          if (page.phase === 'waiting') rejoin();
        }, 300 + Math.random() * 1200);
      }
    };
    tick();
    if (at.getTime() > Date.now()) page.waitTimer = setInterval(tick, 1000);
  } else {
    if (text) body.push(h('p', {}, text));
    if (reason === 'error' && info.message) body.push(h('p', { class: 'muted' }, info.message));
    if (reason === 'ended' && info.message && info.message !== 'the host ended the room') body.push(h('p', { class: 'muted' }, info.message));
  }
  if (reason === 'not_open_yet' && hostKey(roomID)) {
    // The host need not wait: opening the room now is a PATCH of its time.
    const b = h('button', { type: 'button', class: 'primary', id: 'open-now' }, 'Open it now');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api('/v1/rooms/' + encodeURIComponent(roomID), { method: 'PATCH', hostKey: hostKey(roomID), body: { starts_at: new Date().toISOString() } });
        rejoin();
      } catch (e) {
        b.disabled = false;
        toast(e.code === 'forbidden' || e.code === 'unauthorized' ? 'The host key in this link was not accepted.' : e.message, 'error', 7000);
      }
    });
    actions.push(b);
  }
  if (reason === 'room_full' || reason === 'lost' || reason === 'error') retry('Try again');
  if (reason === 'replaced') retry('Rejoin here');
  if (reason === 'left') retry('Rejoin');
  actions.push(h('a', { href: apiBase() + '/', class: 'button secondary' }, 'See public rooms'));
  const head = page.room
    ? h('p', { class: 'end-room' }, h('span', { class: 'emoji', 'aria-hidden': 'true' }, page.theme.emoji || ''), ' ', page.title)
    : null;
  const section = h('section', { id: 'end-screen', class: 'screen center', dataset: { reason } },
    h('div', { class: 'card end-card' }, head, h('h1', {}, heading), ...body, h('div', { class: 'actions' }, ...actions),
      ['room_not_found', 'ended', 'removed', 'banned'].includes(reason) ? null : h('p', { class: 'hint' }, 'From a terminal: ', h('code', {}, `rooms join ${link()}${reason === 'room_locked' || reason === 'knock_timeout' ? ' --knock' : ''}`))));
  $('app').append(section);
  const focus = section.querySelector('#knock') || section.querySelector('#end-retry') || section.querySelector('h1');
  if (focus) {
    if (focus.tagName === 'H1') focus.setAttribute('tabindex', '-1');
    focus.focus({ preventScroll: true });
  }
}

// --- joining ---

async function join(choice) {
  hideScreens();
  page.end = null;
  page.choice = { name: choice.name, muted: { ...choice.muted }, devices: { ...choice.devices } };
  if (!page.view) page.view = new CallView({ link: link() });
  const call = new Call({
    roomID, name: choice.name, hostKey: hostKey(roomID), audio: choice.audio, video: choice.video,
    media: choice.media, muted: choice.muted, devices: choice.devices, knock: !!choice.knock,
    relay: params.get('transport') === 'relay', // tests: TURN only (docs/turn.md)
    onEvent: (type, d) => onCallEvent(call, type, d),
  });
  page.call = call;
  page.view.bind(call);
  $('call').hidden = false;
  page.view.show();
  setPhase('connecting');
  await call.start();
}

function onCallEvent(call, type, d) {
  if (call !== page.call) return;
  page.view.handle(type, d);
  switch (type) {
    case 'phase':
      if (d.phase !== 'ended') setPhase(d.phase);
      break;
    case 'knocking':
      showKnocking(call);
      break;
    case 'joined': {
      const wait = $('knock-wait');
      if (wait) {
        wait.remove();
        page.view.show();
      }
      if (d.room) page.room = d.room;
      if (page.hostKeyGiven && d.you && !d.you.host && !d.rejoin) {
        toast('The host key in this link was not accepted: you joined as a guest.', 'error', 8000);
        forgetHostKey(roomID);
        page.hostKeyGiven = false;
      }
      break;
    }
    case 'room':
      page.room = d;
      break;
    case 'end':
      if (page.choice) page.choice.muted = { ...call.muted };
      showEnd(d.reason, d);
      break;
    default:
      break;
  }
}

// showKnocking says we wait for the host to let us in, with a way out.
function showKnocking(call) {
  hideScreens();
  setPhase('knocking');
  const cancel = h('button', { type: 'button', class: 'secondary', id: 'knock-cancel' }, 'Stop waiting');
  cancel.addEventListener('click', () => call.cancelKnock());
  const head = h('p', { class: 'end-room' }, h('span', { class: 'emoji', 'aria-hidden': 'true' }, page.theme.emoji || ''), ' ', page.title);
  const section = h('section', { id: 'knock-wait', class: 'screen center', 'aria-busy': 'true' },
    h('div', { class: 'card end-card' }, head, h('h1', { tabindex: '-1' }, 'Waiting for the host'),
      h('p', { role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' The room is locked: the host has been asked to let you in. You will join by yourself when they do.'),
      h('div', { class: 'actions' }, cancel)));
  $('app').append(section);
  section.querySelector('h1').focus({ preventScroll: true });
}

// rejoin joins again with what the last join used, opening the devices
// that were on; knock asks the host of a locked room to let us in.
async function rejoin(opts = {}) {
  const c = page.choice || { name: savedName() || 'Guest', muted: { audio: false, video: false }, devices: savedDevices() };
  hideScreens();
  $('loading').hidden = false;
  setPhase('loading');
  const got = await acquire({ audio: !c.muted.audio, video: !c.muted.video, audioId: c.devices.audioId, videoId: c.devices.videoId });
  if (got.note) toast(got.note, 'error', 7000);
  await join({ name: c.name, audio: got.audio, video: got.video, muted: { audio: c.muted.audio || !got.audio, video: c.muted.video || !got.video }, devices: c.devices, knock: !!opts.knock });
}

async function autojoin() {
  let name = (params.get('name') || savedName() || 'Guest').trim();
  if (checkName(name)) name = 'Guest';
  const wantV = params.get('camera') !== '0';
  const wantA = params.get('mic') !== '0';
  const devices = savedDevices();
  // Connect while the camera and microphone start.
  const media = acquire({ audio: wantA, video: wantV, ...devices }).then((got) => {
    if (got.note) toast(got.note, 'error', 7000);
    return got;
  });
  await join({ name, media, muted: { audio: !wantA, video: !wantV }, devices });
}

// --- start ---

async function main() {
  applyTheme(DEFAULT_THEME);
  page.hostKeyGiven = !!takeHostKey(roomID);
  if (!/^[a-z2-7]{26}$/.test(roomID)) {
    showEnd('room_not_found');
    return;
  }
  // Make (or load) the key and fetch the themes while the room loads.
  identity().catch(() => {});
  themes();
  let room;
  try {
    room = await api('/v1/rooms/' + encodeURIComponent(roomID));
  } catch (e) {
    if (e.code === 'room_not_found' || e.status === 404) showEnd('room_not_found');
    else showEnd('lost', { message: e.message });
    return;
  }
  page.room = room;
  page.theme = await findTheme(room.theme);
  page.title = roomTitle(room, page.theme);
  applyTheme(page.theme);
  document.title = `${page.theme.emoji || ''} ${page.title} · rooms`.trim();
  for (const id of ['call-emoji']) $(id).textContent = page.theme.emoji || '';
  $('call-title').textContent = page.title;
  if (room.state === 'ended') {
    showEnd('ended');
    return;
  }
  if (params.get('autojoin') === '1') {
    await autojoin();
    return;
  }
  // In a locked room, joining asks the host (a knock): say so on the
  // buttons, and knock at once rather than after a refusal. The server lets
  // a host or a returning member straight in even when they knock.
  const asks = room.locked && !hostKey(roomID);
  if (asks) {
    $('join').textContent = 'Ask to join';
    $('join-nocam').textContent = 'Ask with camera off';
    $('pj-cli').textContent = `rooms join ${link()} --knock`;
  }
  setPhase('prejoin');
  const choice = await prejoin({ room, theme: page.theme, title: page.title });
  await join(asks ? { ...choice, knock: true } : choice);
}

// A host link pasted into this tab changes only the fragment: take the key
// and start again, so the join carries it.
window.addEventListener('hashchange', () => {
  if (!/(^#|&)host=/.test(location.hash)) return;
  const before = hostKey(roomID);
  const after = takeHostKey(roomID);
  if (after && after !== before) {
    const c = page.call;
    if (c && !c.final) c.leave();
    location.reload();
  }
});

window.addEventListener('pagehide', () => {
  const c = page.call;
  if (c && !c.final && c.session) c.session.send('leave');
});

window.roomsDebug = {
  state() {
    const c = page.call;
    return {
      phase: page.phase,
      roomID,
      room: page.room ? { ...page.room } : null,
      theme: page.theme.name,
      you: c && c.me ? { id: c.me.id, name: c.me.name, host: !!c.me.host } : null,
      host: !!(c && c.me && c.me.host),
      muted: c ? { ...c.muted } : null,
      local: c ? { audio: !!c.local.audio, video: !!c.local.video, audioEnabled: !!(c.local.audio && c.local.audio.enabled) } : null,
      participants: c ? c.participants.size : 0,
      reconnects: c ? c.reconnects : 0,
      end: page.end ? { ...page.end } : null,
      pinned: page.view ? page.view.pinned : null,
      sharing: !!(c && c.local.screen),
      unread: page.view ? page.view.unread : 0,
      connection: c ? c.stats.quality : null,
      knocking: !!(c && c.knocking),
      knocks: c ? [...c.knocks.values()] : [],
    };
  },
  participants() {
    return page.view ? page.view.debugParticipants() : [];
  },
  // paths: the local candidate of each PeerConnection's selected pair
  // (publish, subscribe): host, srflx or relay, and the protocol.
  async paths() {
    const c = page.call;
    const out = [];
    for (const pc of c ? [c.pub, c.sub] : []) {
      let local = null;
      if (pc) {
        const st = await pc.getStats();
        st.forEach((r) => {
          const pair = r.type === 'transport' && r.selectedCandidatePairId ? st.get(r.selectedCandidatePairId) : null;
          const cand = pair ? st.get(pair.localCandidateId) : null;
          if (cand) local = { type: cand.candidateType, protocol: cand.protocol, relayProtocol: cand.relayProtocol || '' };
        });
      }
      out.push(local);
    }
    return out;
  },
  // screens: whether we share, the others' shared screens and what the
  // spotlight shows.
  screens() {
    return page.view ? page.view.debugScreens() : { sharing: false, screens: [], spotlight: null };
  },
  stats() {
    const c = page.call;
    const out = c ? { ...c.stats } : { rtt: null, loss: 0, framesDecoded: 0, framesSent: 0, bytesReceived: 0, bytesSent: 0, quality: 'idle' };
    // getStats runs every 2 s; the tiles' own frame counts are live, so a
    // first frame shows here at once.
    let shown = 0;
    for (const v of document.querySelectorAll('#grid .tile video')) {
      if (v.getVideoPlaybackQuality) shown += v.getVideoPlaybackQuality().totalVideoFrames;
    }
    out.framesShown = shown;
    out.framesDecoded = Math.max(out.framesDecoded || 0, shown);
    return out;
  },
  log() {
    return page.call ? page.call.log.slice() : [];
  },
  // hidden: the others' video and screen track ids the server was last
  // told this page does not show (the view), sorted; [] shows everything.
  hidden() {
    return page.call ? page.call.hidden() : [];
  },
  // view: the whole view the server was last sent: {hidden, sizes}, sizes
  // by track id in device pixels ({w, h}, rounded up to 16).
  view() {
    return page.call ? page.call.viewSent() : { hidden: [], sizes: {} };
  },
  // layers: what our camera sends, per simulcast encoding (outbound-rtp):
  // [{rid, active, width, height, bytesSent, framesSent, fps, limit}];
  // simulcast: whether it goes out as simulcast, with rids, the encodings
  // asked for, and active, those of them on now (the server's `layers`
  // turns off those nobody receives); server: that last `layers` on this
  // connection ({track, active}, null before one); track: the camera
  // track's id and the id our offer's msid gives it, which the server's
  // `layers` names; capture: the camera's size.
  async layers() {
    const c = page.call;
    if (!c) return { simulcast: false, rids: [], active: [], server: null, track: null, capture: null, layers: [] };
    const st = c.local.video && c.local.video.getSettings ? c.local.video.getSettings() : null;
    const sender = c.senders.video;
    const enc = sender ? sender.getParameters().encodings || [] : [];
    const rids = enc.map((e) => e.rid || '');
    const active = enc.filter((e) => e.active !== false).map((e) => e.rid || '');
    const server = c.sendLayers ? { track: c.sendLayers.track, active: c.sendLayers.active.slice() } : null;
    const track = sender ? { id: sender.track ? sender.track.id : '', msid: c.cameraMsid() || '' } : null;
    return { simulcast: rids.length > 1, rids, active, server, track, capture: st ? { width: st.width || 0, height: st.height || 0 } : null, layers: await c.layers() };
  },
  // receivers describes the subscribe connection: per m-section, who and
  // what it carries and whether media arrives.
  async receivers() {
    const c = page.call;
    if (!c || !c.sub) return [];
    const stats = await c.sub.getStats();
    const inbound = new Map();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.mid !== undefined) inbound.set(s.mid, s);
    });
    const layout = new Map((c.subLayout || []).map((s) => [s.mid, s]));
    return c.sub.getTransceivers().map((t) => {
      const l = layout.get(t.mid) || {};
      const s = inbound.get(t.mid) || {};
      return {
        mid: t.mid, kind: t.receiver.track.kind, direction: t.currentDirection, participant: l.stream || null, track: l.track || null,
        muted: t.receiver.track.muted, packets: s.packetsReceived || 0, frames: s.framesDecoded || 0, ssrc: s.ssrc || null,
        width: s.frameWidth || 0, height: s.frameHeight || 0, keyFrames: s.keyFramesDecoded || 0, freezes: s.freezeCount || 0,
        freezeSeconds: s.totalFreezesDuration || 0, plis: s.pliCount || 0, firs: s.firCount || 0, dropped: s.framesDropped || 0, bytes: s.bytesReceived || 0,
      };
    });
  },
};

main().catch((e) => {
  showEnd('error', { message: String((e && e.message) || e) });
});
