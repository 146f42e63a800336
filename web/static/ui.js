// The call screen: tiles in a grid that fits the window, the spotlight,
// the self-view, controls, chat, the people list, host controls, the
// connection indicator, banners and toasts. It draws what a Call reports
// and turns clicks into Call actions. Everything other people wrote
// (names, chat) is set with textContent.
//
// The spotlight shows the person pinned (the grid becomes a strip below
// it), else a shared screen: cameras stay in the grid, which becomes a
// column beside the screen (wide windows) or fills what the screen leaves
// below it (narrow ones). With several screens, the buttons in the
// spotlight or [ and ] switch between them.
//
// The page tells the server which of the others' videos it does not show
// (Call.setView, the protocol's view): all of them while the page is
// hidden (a background tab, a minimised window); otherwise a camera whose
// tile is scrolled out of view or not rendered (an IntersectionObserver on
// the video elements) and a screen not in the spotlight. With it goes how
// large each shown video is drawn, in device pixels, so the server sends a
// simulcast camera in the smallest layer that fills its tile: sizes change
// with the grid (relayout, on the ResizeObserver and window resizes), a
// pin, a screen taking the spotlight, and are checked every second too.

import { h, $, initials, clockTime } from './util.js';
import { icon } from './icons.js';

const MIN_TILE = { desktop: 180, mobile: 140 };
const GAP = 8;
// A safety net for the view: what the page shows is also checked this often.
const VIEW_CHECK_EVERY = 1000;

export function toast(text, kind = 'info', ms = 4500) {
  const box = $('toasts');
  if (!box) return;
  const t = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status' }, text);
  box.append(t);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => t.remove(), ms);
}

// setButton gives a control an icon and a label (shown on wide screens,
// always the accessible name).
export function setButton(btn, iconName, label, extra) {
  btn.replaceChildren(icon(iconName), h('span', { class: 'label' }, label));
  if (extra) btn.append(extra);
  btn.setAttribute('aria-label', label);
  btn.title = label;
}

// layout picks the column count and tile width that make n tiles as big
// as they can be in w × h; when that is too small, tiles keep a minimum
// width and the grid scrolls.
export function layout(n, w, hgt, aspect, minTile) {
  if (n <= 0 || w <= 0 || hgt <= 0) return { cols: 1, tileW: Math.max(0, w) };
  let best = { cols: 1, tileW: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const byW = (w - (cols - 1) * GAP) / cols;
    const byH = ((hgt - (rows - 1) * GAP) / rows) * aspect;
    const tileW = Math.floor(Math.min(byW, byH));
    if (tileW > best.tileW) best = { cols, tileW };
  }
  if (best.tileW < minTile) {
    const cols = Math.max(1, Math.min(n, Math.floor((w + GAP) / (minTile + GAP))));
    return { cols, tileW: Math.floor((w - (cols - 1) * GAP) / cols), scroll: true };
  }
  return best;
}

// shareRefusal says who holds the call's screen-sharing places.
export function shareRefusal(sharers) {
  const names = (sharers || []).filter(Boolean);
  if (!names.length) return 'Screen sharing is full in this room. Try again when someone stops.';
  if (names.length === 1) return `Screen sharing is full: ${names[0]} is sharing. Try again when they stop.`;
  const who = names.slice(0, -1).join(', ') + ' and ' + names[names.length - 1];
  return `Screen sharing is full: ${who} are sharing. Try again when one of them stops.`;
}

// drawnSize is how large, in device pixels, a video element draws its
// picture: the element's box for object-fit: cover (the tiles: the picture
// fills it, cropped), the picture fitted inside it for contain (the
// spotlight), once the picture's shape is known.
export function drawnSize(v) {
  const dpr = window.devicePixelRatio || 1;
  let w = v.clientWidth, hgt = v.clientHeight;
  if (w > 0 && hgt > 0 && v.videoWidth > 0 && v.videoHeight > 0 && getComputedStyle(v).objectFit === 'contain') {
    const k = Math.min(w / v.videoWidth, hgt / v.videoHeight);
    w = v.videoWidth * k;
    hgt = v.videoHeight * k;
  }
  return { w: Math.round(w * dpr), h: Math.round(hgt * dpr) };
}

// typing says whether a key goes to a text field rather than the call.
function typing(target) {
  return !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

export class CallView {
  constructor({ link, onRemove }) {
    this.link = link;
    this.call = null;
    this.tiles = new Map();
    this.pinned = null;
    this.screenList = []; // the others' shared screens, oldest first: [{id, participant, track}]
    this.screenID = null; // the one the spotlight shows when nobody is pinned
    this.announced = new Set(); // screens already said in the chat, by track id
    this.unread = 0;
    this.soundBlocked = false;
    this.onRemove = onRemove;
    this.el = {
      call: $('call'), grid: $('grid'), stage: $('stage'), self: $('self'), selfVideo: $('self-video'),
      spotlight: $('spotlight'), spotVideo: $('spot-video'), spotName: $('spot-name'), spotAvatar: $('spot-avatar'),
      spotBadge: $('spot-badge'), spotClose: $('spot-close'), spotSwitch: $('spot-switch'), sharingPill: $('sharing-pill'),
      mic: $('mic'), camera: $('camera'), share: $('share'), leave: $('leave'), chatToggle: $('chat-toggle'), peopleToggle: $('people-toggle'),
      chat: $('chat'), chatLog: $('chat-log'), chatForm: $('chat-form'), chatInput: $('chat-input'),
      people: $('people'), peopleList: $('people-list'), peopleCount: $('people-count'),
      status: $('status'), banner: $('banner'), alone: $('alone'), audioSink: $('audio-sink'),
      hostControls: $('host-controls'), hostLock: $('host-lock'), hostHide: $('host-hide'), hostEnd: $('host-end'),
      lockPill: $('call-lock'), hiddenPill: $('call-hidden'),
    };
    $('alone-link').textContent = link;
    setButton(this.el.chatToggle, 'chat', 'Chat', h('span', { class: 'badge', hidden: true }));
    setButton(this.el.peopleToggle, 'people', 'People', h('span', { class: 'count' }));
    setButton(this.el.leave, 'leave', 'Leave');
    setButton(this.el.hostEnd, 'power', 'End for all');
    this.wire();
    this.ro = new ResizeObserver(() => this.relayout());
    this.ro.observe(this.el.stage);
    window.addEventListener('resize', () => this.relayout());
    // inView: video element → whether it intersects the viewport, as the
    // observer last said (an element not yet reported counts as shown).
    this.inView = new WeakMap();
    this.io = typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => {
        for (const en of entries) this.inView.set(en.target, en.isIntersecting);
        this.syncView();
      }, { threshold: 0 })
      : null;
    if (this.io) this.io.observe(this.el.spotVideo);
    document.addEventListener('visibilitychange', () => this.syncView());
    setInterval(() => this.syncView(), VIEW_CHECK_EVERY);
  }

  wire() {
    const e = this.el;
    e.mic.addEventListener('click', () => this.toggle('audio'));
    e.camera.addEventListener('click', () => this.toggle('video'));
    e.share.addEventListener('click', () => this.toggleShare());
    e.leave.addEventListener('click', () => this.call && this.call.leave());
    e.chatToggle.addEventListener('click', () => this.openPanel(e.chat.hidden ? 'chat' : null));
    e.peopleToggle.addEventListener('click', () => this.openPanel(e.people.hidden ? 'people' : null));
    $('chat-close').addEventListener('click', () => this.openPanel(null));
    $('people-close').addEventListener('click', () => this.openPanel(null));
    e.chatForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = e.chatInput.value.trim();
      if (!text || !this.call) return;
      if (Array.from(text).length > 1000) {
        toast('Chat messages are at most 1000 characters.', 'error');
        return;
      }
      if (this.call.sendChat(text)) e.chatInput.value = '';
      else toast('Not connected: the message was not sent.', 'error');
    });
    e.hostLock.addEventListener('click', () => {
      if (!this.call || !this.call.room) return;
      this.call.host(this.call.room.locked ? 'unlock' : 'lock');
    });
    e.hostHide.addEventListener('click', () => {
      if (!this.call || !this.call.room) return;
      this.call.host(this.call.room.visibility === 'private' ? 'unhide' : 'hide');
    });
    e.hostEnd.addEventListener('click', () => {
      if (!this.call) return;
      if (window.confirm('End this room for everyone? The call closes for all and the link stops working.')) this.call.host('end');
    });
    // A click on a pinned person unpins; a shared screen stays put (its
    // own buttons switch).
    e.spotlight.addEventListener('click', () => {
      if (this.pinned) this.pin(null);
    });
    // A screen's shape sets the spotlight's when the cameras go below it.
    for (const ev of ['resize', 'loadeddata']) {
      e.spotVideo.addEventListener(ev, () => {
        this.renderSpotlight();
        this.relayout();
      });
    }
    e.self.addEventListener('click', () => e.self.classList.toggle('small'));
    $('copy-link').addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(this.link);
        toast('Link copied.');
      } catch {
        toast('Copy the link from the address bar.');
      }
    });
    // Any click or key counts as the gesture the browser wanted for sound.
    const unblock = () => {
      if (!this.soundBlocked) return;
      this.soundBlocked = false;
      if (e.banner.querySelector('#sound')) e.banner.hidden = true;
      for (const a of e.audioSink.querySelectorAll('audio')) this.playAudio(a);
    };
    window.addEventListener('pointerdown', unblock, true);
    window.addEventListener('keydown', unblock, true);
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && (!e.chat.hidden || !e.people.hidden)) this.openPanel(null);
      // [ and ] switch between shared screens, as in the terminal.
      if ((ev.key === '[' || ev.key === ']') && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !typing(ev.target) && this.screenList.length) {
        ev.preventDefault();
        this.cycleScreen(ev.key === ']' ? 1 : -1);
      }
    });
  }

  bind(call) {
    this.call = call;
    this.el.banner.hidden = true;
    const knocks = $('knocks');
    if (knocks) knocks.remove();
    this.soundBlocked = false;
    for (const id of [...this.tiles.keys()]) this.dropTile(id);
    this.pinned = null;
    this.screenList = [];
    this.screenID = null;
    this.announced.clear();
    this.renderSpotlight();
    this.el.chatLog.replaceChildren();
    this.unread = 0;
    this.updateUnread();
    this.updateLocal();
    this.updateStatus();
    this.syncView();
  }

  show() {
    this.el.call.hidden = false;
    this.relayout();
  }

  // handle draws one event from the Call.
  handle(type, d) {
    switch (type) {
      case 'phase':
        this.onPhase(d);
        break;
      case 'joined':
        this.onJoined(d);
        break;
      case 'participants':
        // A (re)join: every tile's media comes from the new connection.
        this.syncTiles();
        for (const id of this.tiles.keys()) this.attachMedia(id);
        this.syncScreens();
        break;
      case 'participant':
        if (d.joined) this.systemLine(`${d.participant.name} joined`);
        this.syncTiles();
        this.syncScreens();
        break;
      case 'left':
        this.systemLine(d.reason === 'removed' ? `${d.participant.name} was removed` : `${d.participant.name} left`);
        this.syncTiles();
        this.syncScreens();
        break;
      case 'media':
        this.attachMedia(d.participant);
        this.syncScreens();
        break;
      case 'screen':
        this.onScreen(d);
        break;
      case 'speaking':
        this.onSpeaking(d);
        break;
      case 'chat':
        this.onChat(d);
        break;
      case 'room':
        this.updateRoom();
        break;
      case 'notice':
        this.onNotice(d);
        break;
      case 'mediafailed':
        this.onMediaFailed(d);
        break;
      case 'mediaconnected':
        if (this.mediaFailedEl) this.mediaFailedEl.hidden = true;
        break;
      case 'local':
        this.updateLocal();
        break;
      case 'stats':
        this.updateStatus();
        break;
      case 'knocks':
        this.onKnocks(d);
        break;
      default:
        break;
    }
  }

  // onKnocks shows the host who knocks on the locked room, each with
  // Admit and Decline (one answer each; the server says when a knock ends).
  onKnocks(d) {
    let box = $('knocks');
    if (!box) {
      box = h('div', { id: 'knocks', class: 'knocks', role: 'region', 'aria-label': 'People asking to join' });
      this.el.banner.after(box);
    }
    const list = d.knocks || [];
    box.hidden = list.length === 0;
    box.replaceChildren(...list.map((k) => {
      const admit = h('button', { type: 'button', class: 'small primary knock-admit' }, 'Admit');
      const decline = h('button', { type: 'button', class: 'small danger knock-decline' }, 'Decline');
      admit.addEventListener('click', () => {
        admit.disabled = decline.disabled = true;
        if (!this.call || !this.call.answerKnock(k.id, true)) toast('Not connected: try again.', 'error');
      });
      decline.addEventListener('click', () => {
        admit.disabled = decline.disabled = true;
        if (!this.call || !this.call.answerKnock(k.id, false)) toast('Not connected: try again.', 'error');
      });
      return h('div', { class: 'knock', dataset: { knock: k.id } },
        h('span', { class: 'knock-name' }, k.name), h('span', { class: 'muted' }, ' asks to join'), admit, decline);
    }));
    if (d.added && d.added.name) toast(`${d.added.name} asks to join.`, 'info', 6000);
  }

  onPhase(d) {
    const b = this.el.banner;
    if (d.phase === 'reconnecting') {
      const what = d.media ? 'Connection interrupted. Reconnecting' : d.wasIn ? 'Connection lost. Reconnecting' : 'Cannot reach the server. Trying again';
      b.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), d.media ? `${what}…` : `${what} (attempt ${d.attempt})…`);
      b.hidden = false;
      b.className = 'banner warn';
    } else if (d.phase === 'joined') {
      b.hidden = true;
      this.soundBlocked = false;
    } else if (d.phase === 'connecting') {
      b.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Joining…');
      b.hidden = false;
      b.className = 'banner';
    }
    this.updateStatus();
  }

  onJoined(d) {
    const c = this.call;
    this.el.hostControls.hidden = !(c.me && c.me.host);
    this.el.self.classList.toggle('host', !!(c.me && c.me.host));
    this.updateRoom();
    this.updateLocal();
    if (d.rejoin) toast('Back in the call.');
  }

  updateRoom() {
    const r = this.call && this.call.room;
    if (!r) return;
    this.el.lockPill.hidden = !r.locked;
    this.el.hiddenPill.hidden = r.visibility !== 'private';
    setButton(this.el.hostLock, r.locked ? 'unlock' : 'lock', r.locked ? 'Unlock' : 'Lock');
    this.el.hostLock.setAttribute('aria-pressed', String(!!r.locked));
    this.el.hostLock.title = r.locked ? 'Let new people in again' : 'Let nobody new in';
    const hidden = r.visibility === 'private';
    setButton(this.el.hostHide, hidden ? 'eye' : 'eye-off', hidden ? 'Unhide' : 'Hide');
    this.el.hostHide.setAttribute('aria-pressed', String(hidden));
    this.el.hostHide.title = hidden ? 'List the room in the public directory again' : 'Take the room out of the public directory';
    this.el.hostEnd.title = 'End the room for everyone';
  }

  // --- tiles ---

  syncTiles() {
    const c = this.call;
    if (!c) return;
    const want = new Set(c.participants.keys());
    for (const id of [...this.tiles.keys()]) if (!want.has(id)) this.dropTile(id);
    // Tiles in the order people came in, the same on every screen.
    const order = [...c.participants.values()].sort((a, b) => String(a.joinedAt || '').localeCompare(String(b.joinedAt || '')) || a.id.localeCompare(b.id));
    let prev = null;
    for (const p of order) {
      let t = this.tiles.get(p.id);
      if (!t) {
        t = this.makeTile(p);
        this.tiles.set(p.id, t);
        // Insert after the previous tile (never moving existing ones: a
        // video element that leaves the page stops playing).
        if (prev) prev.el.after(t.el);
        else this.el.grid.prepend(t.el);
        this.attachMedia(p.id);
      }
      this.updateTile(t, p);
      prev = t;
    }
    if (this.pinned && !want.has(this.pinned)) this.pin(null);
    this.el.alone.hidden = want.size > 0 || c.phase !== 'joined';
    this.renderPeople();
    this.relayout();
  }

  makeTile(p) {
    const video = h('video', { muted: true, autoplay: true, playsInline: true });
    video.muted = true;
    const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' }, h('span', {}, initials(p.name)));
    const name = h('span', { class: 'name' });
    const mic = h('span', { class: 'mic-state', title: 'Microphone off' }, icon('mic-off'));
    const host = h('span', { class: 'host-tag' }, 'host');
    const share = h('span', { class: 'share-state', title: 'Sharing their screen', hidden: true }, icon('screen-share'));
    const label = h('div', { class: 'tile-label' }, mic, name, host, share);
    const remove = h('button', { type: 'button', class: 'remove', title: 'Remove from the call' }, icon('x'), h('span', { class: 'label' }, 'Remove'));
    const el = h('div', { class: 'tile no-video', tabindex: '0', role: 'button', dataset: { participant: p.id } }, video, avatar, label, remove);
    remove.addEventListener('click', (ev) => {
      ev.stopPropagation();
      this.confirmRemove(p.id);
    });
    el.addEventListener('click', () => this.pin(this.pinned === p.id ? null : p.id));
    el.addEventListener('keydown', (ev) => {
      if (ev.target === el && (ev.key === 'Enter' || ev.key === ' ')) {
        ev.preventDefault();
        this.pin(this.pinned === p.id ? null : p.id);
      }
    });
    video.addEventListener('resize', () => this.refreshVideo(p.id));
    video.addEventListener('loadeddata', () => this.refreshVideo(p.id));
    if (this.io) this.io.observe(video);
    return { el, video, avatar, name, mic, host, share, remove, audios: new Map(), videoTrack: null };
  }

  updateTile(t, p) {
    t.name.textContent = p.name;
    t.avatar.firstChild.textContent = initials(p.name);
    const sharing = this.screenList.some((s) => s.participant === p.id);
    t.el.setAttribute('aria-label', `${p.name}${p.host ? ' (host)' : ''}${p.muted.audio ? ', microphone off' : ''}${sharing ? ', sharing their screen' : ''}${p.slowLink ? ', video paused: your connection is slow' : ''}. Click to ${this.pinned === p.id ? 'unpin' : 'pin'}.`);
    t.el.classList.toggle('slow-link', !!p.slowLink && !p.muted.video);
    t.mic.hidden = !p.muted.audio;
    t.host.hidden = !p.host;
    t.share.hidden = !sharing;
    t.remove.hidden = !(this.call && this.call.me && this.call.me.host);
    t.remove.setAttribute('aria-label', `Remove ${p.name}`);
    t.el.classList.toggle('speaking', !!p.speaking && !p.muted.audio);
    t.el.classList.toggle('active', !!p.active);
    t.el.classList.toggle('pinned', this.pinned === p.id);
    this.refreshVideo(p.id);
  }

  refreshVideo(pid) {
    const t = this.tiles.get(pid);
    const p = this.call && this.call.participants.get(pid);
    if (!t || !p) return;
    const showing = !!t.videoTrack && !p.muted.video && !p.slowLink && t.video.videoWidth > 0;
    t.el.classList.toggle('no-video', !showing);
    if (this.pinned === pid) this.renderSpotlight();
  }

  dropTile(id) {
    const t = this.tiles.get(id);
    if (!t) return;
    t.video.srcObject = null;
    if (this.io) this.io.unobserve(t.video);
    for (const a of t.audios.values()) {
      a.srcObject = null;
      a.remove();
    }
    t.el.remove();
    this.tiles.delete(id);
    this.syncView();
  }

  attachMedia(pid) {
    const t = this.tiles.get(pid);
    if (!t || !this.call) return;
    const m = this.call.mediaOf(pid);
    const vt = m.video ? m.video.track : null;
    if (vt !== t.videoTrack) {
      t.videoTrack = vt;
      t.video.srcObject = vt ? new MediaStream([vt]) : null;
      if (vt) t.video.play().catch(() => {});
    }
    const want = new Map(m.audio.map((a) => [a.id, a.track]));
    for (const [id, a] of t.audios) {
      if (want.get(id) !== a.srcObject?.getAudioTracks()[0]) {
        a.srcObject = null;
        a.remove();
        t.audios.delete(id);
      }
    }
    for (const [id, track] of want) {
      if (t.audios.has(id)) continue;
      const a = h('audio', { autoplay: true });
      a.srcObject = new MediaStream([track]);
      this.el.audioSink.append(a);
      t.audios.set(id, a);
      this.playAudio(a);
    }
    const p = this.call.participants.get(pid);
    if (p) this.updateTile(t, p);
    this.renderPeople();
    this.syncView();
  }

  playAudio(a) {
    const p = a.play();
    if (p) {
      p.catch((e) => {
        if (e && e.name === 'NotAllowedError') this.blockSound();
      });
    }
  }

  // blockSound offers a button when the browser will not play sound
  // before a click (autoplay policy).
  blockSound() {
    if (this.soundBlocked) return;
    this.soundBlocked = true;
    const b = this.el.banner;
    const btn = h('button', { type: 'button', id: 'sound', class: 'small primary' }, icon('volume'), ' Turn on sound');
    btn.addEventListener('click', () => {
      this.soundBlocked = false;
      b.hidden = true;
      for (const a of this.el.audioSink.querySelectorAll('audio')) this.playAudio(a);
    });
    b.replaceChildren('The browser is holding back the sound. ', btn);
    b.className = 'banner';
    b.hidden = false;
  }

  confirmRemove(pid) {
    const p = this.call && this.call.participants.get(pid);
    if (!p || !this.call.me || !this.call.me.host) return;
    if (window.confirm(`Remove ${p.name} from the call? They will not be able to come back into this room.`)) {
      this.call.host('remove', pid);
      if (this.onRemove) this.onRemove(pid);
    }
  }

  onSpeaking(d) {
    if (d.me) {
      this.el.self.classList.toggle('speaking', d.speaking && !(this.call && this.call.muted.audio));
    }
    if (d.active) for (const [id, t] of this.tiles) t.el.classList.toggle('active', id === d.id);
    const t = this.tiles.get(d.id);
    const p = this.call && this.call.participants.get(d.id);
    if (t && p) t.el.classList.toggle('speaking', d.speaking && !p.muted.audio);
    const li = this.el.peopleList.querySelector(`li[data-participant="${CSS.escape(d.id)}"]`);
    if (li) li.classList.toggle('speaking', !!d.speaking);
  }

  // --- spotlight ---

  pin(pid) {
    this.pinned = pid;
    for (const [id, t] of this.tiles) t.el.classList.toggle('pinned', id === pid);
    this.renderSpotlight();
    this.relayout();
  }

  // syncScreens follows the others' shared screens: a new one takes the
  // spotlight (as in the terminal), one that ends gives it to the next.
  syncScreens() {
    const c = this.call;
    if (!c) return;
    const list = c.screens();
    const before = this.screenList.map((s) => s.id);
    const ids = list.map((s) => s.id);
    const fresh = ids.filter((id) => !before.includes(id));
    if (fresh.length) {
      this.screenID = fresh[fresh.length - 1];
    } else if (!ids.includes(this.screenID)) {
      const was = before.indexOf(this.screenID);
      this.screenID = ids.length ? ids[Math.min(Math.max(was, 0), ids.length - 1)] : null;
    }
    for (const id of fresh) {
      if (this.announced.has(id)) continue; // back after a reconnect
      this.announced.add(id);
      const p = c.participants.get(list.find((s) => s.id === id).participant);
      if (p) this.systemLine(`${p.name} is sharing their screen`);
    }
    const changed = ids.join() !== before.join();
    this.screenList = list;
    if (changed) {
      for (const [id, t] of this.tiles) {
        const p = c.participants.get(id);
        if (p) this.updateTile(t, p);
      }
      this.renderPeople();
    }
    this.renderSpotlight();
    this.relayout();
  }

  // cycleScreen shows the next (step 1) or previous (-1) shared screen;
  // it also unpins, since a pinned person hides the screens.
  cycleScreen(step) {
    const n = this.screenList.length;
    if (!n) return;
    const i = this.screenList.findIndex((s) => s.id === this.screenID);
    if (this.pinned) this.pinned = null;
    else this.screenID = this.screenList[(((i < 0 ? 0 : i) + step) % n + n) % n].id;
    this.pin(null);
  }

  showScreen(id) {
    this.screenID = id;
    this.pin(null);
  }

  // spotTarget is what the spotlight shows: the person pinned, else the
  // shared screen chosen, else nothing.
  spotTarget() {
    if (this.pinned && this.tiles.has(this.pinned)) return { kind: 'person', pid: this.pinned, track: this.tiles.get(this.pinned).videoTrack };
    const s = this.screenList.find((x) => x.id === this.screenID);
    return s ? { kind: 'screen', pid: s.participant, track: s.track, id: s.id } : null;
  }

  renderSpotlight() {
    const e = this.el;
    const target = this.spotTarget();
    const p = target && this.call && this.call.participants.get(target.pid);
    e.stage.classList.toggle('spot-on', !!p);
    e.spotlight.hidden = !p;
    const v = e.spotVideo;
    const track = p ? target.track : null;
    const cur = v.srcObject && v.srcObject.getVideoTracks()[0];
    if (track !== cur) {
      v.srcObject = track ? new MediaStream([track]) : null;
      if (track) v.play().catch(() => {});
    }
    if (!p) {
      delete e.spotlight.dataset.kind;
      delete e.spotlight.dataset.participant;
      e.spotSwitch.hidden = true;
      this.syncView();
      return;
    }
    const screen = target.kind === 'screen';
    e.spotlight.dataset.kind = target.kind;
    e.spotlight.dataset.participant = p.id;
    e.spotlight.setAttribute('aria-label', screen ? `${p.name}'s shared screen` : `${p.name}, pinned`);
    e.spotName.textContent = p.name;
    e.spotAvatar.textContent = initials(p.name);
    e.spotBadge.hidden = !screen;
    e.spotClose.hidden = screen;
    e.spotClose.textContent = this.screenList.length ? 'Back to the screen' : 'Unpin';
    const t = this.tiles.get(p.id);
    const dark = screen ? !track || v.videoWidth === 0 : !t || t.el.classList.contains('no-video');
    e.spotlight.classList.toggle('no-video', dark);
    this.renderSwitch(screen);
    this.syncView();
  }

  // renderSwitch offers a button per shared screen when there are several.
  renderSwitch(screen) {
    const box = this.el.spotSwitch;
    const c = this.call;
    box.hidden = !screen || this.screenList.length < 2;
    if (box.hidden) return;
    const want = this.screenList.map((s) => `${s.id}:${s.id === this.screenID}`).join();
    if (box.dataset.showing === want) return;
    box.dataset.showing = want;
    box.replaceChildren(...this.screenList.map((s) => {
      const p = c.participants.get(s.participant);
      const name = p ? p.name : 'Someone';
      const b = h('button', { type: 'button', class: 'small', 'aria-pressed': String(s.id === this.screenID), title: `Show ${name}'s screen ([ and ] switch)`, dataset: { track: s.id } },
        icon('screen-share'), h('span', {}, name));
      b.addEventListener('click', (ev) => {
        ev.stopPropagation();
        this.showScreen(s.id);
      });
      return b;
    }));
  }

  // relayout lays the grid out again, and says the tiles' new sizes in
  // the view.
  relayout() {
    this.layoutGrid();
    this.syncView();
  }

  layoutGrid() {
    const g = this.el.grid;
    const st = this.el.stage;
    if (!st.clientWidth || !g.clientWidth) return;
    const mobile = window.matchMedia('(max-width: 640px)').matches;
    const n = this.tiles.size;
    const target = this.spotTarget();
    // A screen wants the most room: on a wide stage the cameras go in a
    // column beside it; otherwise the screen takes the width at its own
    // shape and the cameras share what is left below. A pinned camera
    // keeps the strip below.
    const screen = !!target && target.kind === 'screen';
    const side = screen && !mobile && st.clientWidth > st.clientHeight * 1.2;
    st.classList.toggle('spot-side', side);
    st.classList.toggle('spot-below', screen && !side);
    if (screen && !side) {
      const v = this.el.spotVideo;
      st.style.setProperty('--spot-aspect', v.videoWidth && v.videoHeight ? `${v.videoWidth} / ${v.videoHeight}` : '16 / 9');
    }
    if (target && !(screen && !side)) {
      g.style.removeProperty('--cols');
      g.style.removeProperty('--tile-w');
      return;
    }
    // The grid's own box: the stage less its padding and any scrollbar.
    const w = g.clientWidth, hgt = g.clientHeight;
    const portrait = hgt > w * 1.1;
    const aspect = portrait && n <= 2 ? 3 / 4 : portrait ? 1 : 16 / 9;
    const { cols, tileW, scroll } = layout(n, w - 2, hgt - 2, aspect, mobile ? MIN_TILE.mobile : MIN_TILE.desktop);
    g.style.setProperty('--cols', String(cols));
    g.style.setProperty('--tile-w', tileW + 'px');
    g.style.setProperty('--aspect', String(aspect));
    g.classList.toggle('scroll', !!scroll);
  }

  // --- what reaches us: view ---

  // currentView is what the page shows now: hidden, the others' video and
  // screen tracks (server ids) it does not show, and sizes, how large in
  // device pixels it draws each one it does ({id: {w, h}}).
  currentView() {
    const c = this.call;
    if (!c) return { hidden: [], sizes: {} };
    const out = [];
    if (document.visibilityState === 'hidden') {
      // Nothing shows: every video and screen, those still on their way too.
      const me = c.me && c.me.id;
      for (const t of c.remote.values()) if (t.kind !== 'audio') out.push(t.id);
      for (const info of c.trackInfo.values()) {
        if ((info.kind === 'video' || info.kind === 'screen') && info.participant_id !== me) out.push(info.id);
      }
      return { hidden: out, sizes: {} };
    }
    const rendered = (v) => v.isConnected && this.inView.get(v) !== false;
    // MediaStreamTrack in a video on screen → the largest size it is drawn
    // at ({w: 0, h: 0} when not laid out yet: shown, no size said).
    const shown = new Map();
    const show = (track, v) => {
      let sz = drawnSize(v);
      if (!(sz.w > 0 && sz.h > 0)) sz = { w: 0, h: 0 };
      const was = shown.get(track);
      if (!was || sz.w * sz.h > was.w * was.h) shown.set(track, sz);
    };
    for (const t of this.tiles.values()) if (t.videoTrack && rendered(t.video)) show(t.videoTrack, t.video);
    // The spotlight: a pinned camera, or the one screen it shows.
    const target = this.spotTarget();
    if (target && target.track && !this.el.spotlight.hidden && rendered(this.el.spotVideo)) show(target.track, this.el.spotVideo);
    // A video that reaches no element (a screen not in the spotlight, a
    // second camera) is hidden too; tracks not yet arrived stay shown, so
    // a new tile's first frame does not wait for a view.
    const sizes = {};
    for (const t of c.remote.values()) {
      if (t.kind === 'audio') continue;
      const sz = shown.get(t.track);
      if (!sz) out.push(t.id);
      else if (sz.w > 0 && sz.h > 0) sizes[t.id] = sz;
    }
    return { hidden: out, sizes };
  }

  // syncView hands the call what the page shows; the call tells the
  // server when that changes.
  syncView() {
    const c = this.call;
    if (!c || c.final) return;
    const v = this.currentView();
    c.setView(v.hidden, v.sizes);
  }

  // --- local state: controls and self-view ---

  toggle(kind) {
    const c = this.call;
    if (!c || c.final) return;
    const btn = kind === 'audio' ? this.el.mic : this.el.camera;
    btn.disabled = true;
    c.setMuted(kind, !c.muted[kind]).then((note) => {
      if (note) toast(note, 'error', 7000);
    }).catch(() => {}).finally(() => {
      btn.disabled = false;
      this.updateLocal();
    });
  }

  // toggleShare starts or stops sharing the screen.
  toggleShare() {
    const c = this.call;
    if (!c || c.final) return;
    if (c.local.screen) {
      c.stopScreen('stopped');
      return;
    }
    const btn = this.el.share;
    btn.disabled = true;
    c.shareScreen().then((note) => {
      if (note) toast(note, 'error', 6000);
    }).catch(() => {}).finally(() => {
      btn.disabled = false;
      this.updateLocal();
    });
  }

  onScreen(d) {
    this.updateLocal();
    if (d.reason === 'refused') {
      toast(shareRefusal(d.sharers), 'error', 10000);
      this.systemLine(shareRefusal(d.sharers));
    }
  }

  updateLocal() {
    const c = this.call;
    if (!c) return;
    const sharing = !!c.local.screen;
    setButton(this.el.share, sharing ? 'screen-share-off' : 'screen-share', sharing ? 'Stop sharing' : 'Share screen');
    this.el.share.classList.toggle('on', sharing);
    this.el.share.setAttribute('aria-pressed', String(sharing));
    this.el.sharingPill.hidden = !sharing;
    const micOff = c.muted.audio;
    const camOff = c.muted.video;
    setButton(this.el.mic, micOff ? 'mic-off' : 'mic', micOff ? 'Unmute' : 'Mute');
    this.el.mic.classList.toggle('off', micOff);
    this.el.mic.setAttribute('aria-pressed', String(micOff));
    setButton(this.el.camera, camOff ? 'video-off' : 'video', camOff ? 'Start video' : 'Stop video');
    this.el.camera.classList.toggle('off', camOff);
    this.el.camera.setAttribute('aria-pressed', String(camOff));
    const vt = c.local.video;
    const cur = this.el.selfVideo.srcObject && this.el.selfVideo.srcObject.getVideoTracks()[0];
    if (vt !== cur) {
      this.el.selfVideo.srcObject = vt ? new MediaStream([vt]) : null;
      if (vt) this.el.selfVideo.play().catch(() => {});
    }
    this.el.self.classList.toggle('no-video', !vt || camOff);
    this.el.self.classList.toggle('mic-off', micOff);
    if (micOff) this.el.self.classList.remove('speaking');
    this.renderPeople();
  }

  // --- connection indicator ---

  updateStatus() {
    const c = this.call;
    const s = this.el.status;
    const text = s.querySelector('.status-text');
    if (!c) return;
    let q = 'connecting', label = 'Connecting…', title = 'Connecting to the call';
    if (c.phase === 'reconnecting') {
      q = 'bad';
      label = 'Reconnecting…';
      title = 'The connection dropped; reconnecting';
    } else if (c.phase === 'joined') {
      const st = c.stats;
      q = st.quality || 'connecting';
      const ms = st.rtt !== null && st.rtt !== undefined ? Math.round(st.rtt * 1000) + ' ms' : '';
      const loss = Math.max(st.loss || 0, st.upLoss || 0);
      const lossText = loss >= 0.005 ? `${(loss * 100).toFixed(loss < 0.1 ? 1 : 0)}% loss` : '';
      if (q === 'connecting') label = 'Connecting media…';
      else if (q === 'bad') label = ['Poor connection', ms, lossText].filter(Boolean).join(' · ');
      else if (q === 'fair') label = ['Fair', ms, lossText].filter(Boolean).join(' · ');
      else if (st.publish === 'new' && st.subscribe === 'new') label = 'Connected';
      else label = ['Good', ms].filter(Boolean).join(' · ');
      title = `Round trip ${ms || 'unknown'}, packet loss ${(loss * 100).toFixed(1)}%`;
    }
    s.dataset.quality = q;
    text.textContent = label;
    s.title = title;
  }

  // --- chat ---

  onChat(d) {
    const log = this.el.chatLog;
    const near = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
    const li = h('li', { class: 'msg' + (d.mine ? ' mine' : '') },
      h('div', { class: 'meta' }, h('span', { class: 'who' }, d.mine ? 'You' : d.name || 'Someone'), ' ', h('time', { datetime: d.at || '' }, clockTime(d.at || new Date()))),
      h('p', { class: 'text' }, d.text));
    log.append(li);
    while (log.children.length > 500) log.firstElementChild.remove();
    if (near || d.mine) log.scrollTop = log.scrollHeight;
    if (this.el.chat.hidden && !d.mine) {
      this.unread++;
      this.updateUnread();
      const preview = Array.from(d.text).slice(0, 80).join('') + (Array.from(d.text).length > 80 ? '…' : '');
      toast(`${d.name || 'Someone'}: ${preview}`, 'chat', 4000);
    }
  }

  systemLine(text) {
    const log = this.el.chatLog;
    log.append(h('li', { class: 'msg system' }, h('p', { class: 'text' }, text)));
    log.scrollTop = log.scrollHeight;
  }

  updateUnread() {
    const b = this.el.chatToggle.querySelector('.badge');
    if (!b) return;
    b.hidden = this.unread === 0;
    b.textContent = this.unread > 99 ? '99+' : String(this.unread);
    this.el.chatToggle.setAttribute('aria-label', this.unread ? `Chat, ${this.unread} unread` : 'Chat');
  }

  openPanel(which) {
    const e = this.el;
    e.chat.hidden = which !== 'chat';
    e.people.hidden = which !== 'people';
    e.chatToggle.setAttribute('aria-expanded', String(which === 'chat'));
    e.peopleToggle.setAttribute('aria-expanded', String(which === 'people'));
    e.chatToggle.classList.toggle('on', which === 'chat');
    e.peopleToggle.classList.toggle('on', which === 'people');
    e.call.classList.toggle('panel-open', !!which);
    if (which === 'chat') {
      this.unread = 0;
      this.updateUnread();
      e.chatLog.scrollTop = e.chatLog.scrollHeight;
      if (!window.matchMedia('(pointer: coarse)').matches) e.chatInput.focus();
    }
    if (which === 'people') this.renderPeople();
    this.relayout();
  }

  // onMediaFailed shows, until media connects, that it could not: what
  // was tried and what to do.
  onMediaFailed(d) {
    let el = this.mediaFailedEl;
    if (!el) {
      el = h('div', { id: 'media-failed', class: 'banner warn', role: 'alert' });
      this.el.banner.after(el);
      this.mediaFailedEl = el;
    }
    el.textContent = d.reason;
    el.hidden = false;
  }

  onNotice(d) {
    const map = {
      too_large: 'That message is too long (1000 characters at most).',
      rate_limited: 'Slow down: too many messages at once.',
      forbidden: 'Only the host can do that.',
      not_found: 'That person is no longer in the call.',
      room_ended: 'The room has just ended.',
    };
    if (map[d.code]) toast(map[d.code], 'error');
  }

  // --- people ---

  renderPeople() {
    const c = this.call;
    if (!c) return;
    const count = c.participants.size + (c.me ? 1 : 0);
    this.el.peopleCount.textContent = `(${count})`;
    const cnt = this.el.peopleToggle.querySelector('.count');
    if (cnt) cnt.textContent = String(count);
    if (this.el.people.hidden) return;
    const host = !!(c.me && c.me.host);
    const row = (p, me) => {
      const tags = h('span', { class: 'tags' },
        p.host ? h('span', { class: 'host-tag' }, 'host') : null,
        p.sharing ? h('span', { class: 'state on', title: 'Sharing their screen' }, icon('screen-share')) : null,
        p.muted.audio ? h('span', { class: 'state', title: 'Microphone off' }, icon('mic-off')) : h('span', { class: 'state on', title: 'Microphone on' }, icon('mic')),
        p.muted.video ? h('span', { class: 'state', title: 'Camera off' }, icon('video-off')) : h('span', { class: 'state on', title: 'Camera on' }, icon('video')));
      const li = h('li', { class: 'person' + (p.speaking ? ' speaking' : ''), dataset: { participant: p.id } },
        h('span', { class: 'avatar small', 'aria-hidden': 'true' }, initials(p.name)),
        h('span', { class: 'person-name' }, p.name, me ? h('span', { class: 'muted' }, ' (you)') : null),
        tags);
      if (host && !me) {
        const b = h('button', { type: 'button', class: 'small danger people-remove', 'aria-label': `Remove ${p.name}` }, 'Remove');
        b.addEventListener('click', () => this.confirmRemove(p.id));
        li.append(b);
      }
      return li;
    };
    const items = [];
    if (c.me) items.push(row({ id: c.me.id, name: c.me.name, host: c.me.host, muted: c.muted, speaking: c.meSpeaking, sharing: !!c.local.screen }, true));
    const sharers = new Set(this.screenList.map((s) => s.participant));
    const others = [...c.participants.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const p of others) items.push(row({ ...p, sharing: sharers.has(p.id) }, false));
    this.el.peopleList.replaceChildren(...items);
  }

  // debug describes the tiles for roomsDebug.participants().
  debugParticipants() {
    const c = this.call;
    if (!c) return [];
    return [...c.participants.values()].map((p) => {
      const t = this.tiles.get(p.id);
      const m = c.mediaOf(p.id);
      return {
        id: p.id, name: p.name, host: p.host, muted: { ...p.muted }, speaking: !!p.speaking, active: !!p.active,
        tracks: [...c.remote.values()].filter((x) => x.participant === p.id).map((x) => ({ id: x.id, kind: x.kind })),
        hasVideo: !!(t && t.videoTrack && t.video.videoWidth > 0 && !p.muted.video),
        hasAudio: m.audio.length > 0,
        sharing: !!m.screen,
        videoWidth: t ? t.video.videoWidth : 0,
        videoHeight: t ? t.video.videoHeight : 0,
        tile: !!t,
      };
    });
  }

  // debugScreens describes screen sharing for roomsDebug.screens().
  debugScreens() {
    const c = this.call;
    const target = this.spotTarget();
    const name = (pid) => (c && c.participants.get(pid) ? c.participants.get(pid).name : '');
    const v = this.el.spotVideo;
    return {
      sharing: !!(c && c.local.screen),
      screens: this.screenList.map((s) => ({ id: s.id, participant: s.participant, name: name(s.participant) })),
      spotlight: target ? { kind: target.kind, participant: target.pid, name: name(target.pid), track: target.id || null, videoWidth: v.videoWidth, videoHeight: v.videoHeight } : null,
    };
  }
}
