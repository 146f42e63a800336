// Local media: the camera and microphone (getUserMedia), the list of
// devices, and a microphone level meter (WebAudio). Every failure comes
// back as a one-line note; a call goes on without the device.

import { local } from './util.js';

const CAM_STORE = 'rooms.camera';
const MIC_STORE = 'rooms.microphone';

export const canCapture = () => !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

export function savedDevices() {
  return { videoId: local.get(CAM_STORE) || '', audioId: local.get(MIC_STORE) || '' };
}

export function saveDevice(kind, id) {
  local.set(kind === 'video' ? CAM_STORE : MIC_STORE, id || '');
}

// The camera is asked for 960x540: large enough that Chromium sends all
// three simulcast layers (it sends fewer of a smaller picture: two below
// 960x540, one below 480x270; see call.js), small enough to encode
// three times over on a modest machine.
function videoConstraints(id) {
  const c = { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 24, max: 30 } };
  if (id) c.deviceId = { exact: id };
  return c;
}

function audioConstraints(id) {
  const c = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  if (id) c.deviceId = { exact: id };
  return c;
}

async function gum(kind, id) {
  const c = kind === 'video' ? { video: videoConstraints(id) } : { audio: audioConstraints(id) };
  try {
    return await navigator.mediaDevices.getUserMedia(c);
  } catch (e) {
    // A remembered device that is gone: take the default instead.
    if (id && (e.name === 'OverconstrainedError' || e.name === 'NotFoundError')) {
      return navigator.mediaDevices.getUserMedia(kind === 'video' ? { video: videoConstraints('') } : { audio: audioConstraints('') });
    }
    throw e;
  }
}

function why(e) {
  switch (e && e.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'blocked';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    default:
      return 'failed';
  }
}

// acquire opens what is asked for ({audio, video} booleans, with device
// ids) and returns {audio: track|null, video: track|null, note: string}.
// The note says in one line what is missing and why ('' when all is well).
export async function acquire({ audio = true, video = true, audioId = '', videoId = '' } = {}) {
  const out = { audio: null, video: null, note: '', problems: {} };
  if (!audio && !video) return out;
  if (!canCapture()) {
    out.note = window.isSecureContext
      ? 'This browser cannot use a camera or microphone: you can still watch, listen and chat.'
      : 'Camera and microphone need https (or localhost): you can still watch, listen and chat.';
    out.problems = { audio: audio && 'insecure', video: video && 'insecure' };
    return out;
  }
  // One request for both, so the browser asks once; if it fails, each
  // alone, to find which one is the trouble.
  if (audio && video) {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(audioId), video: videoConstraints(videoId) });
      out.audio = s.getAudioTracks()[0] || null;
      out.video = s.getVideoTracks()[0] || null;
    } catch { /* try them one by one below */ }
  }
  for (const kind of ['audio', 'video']) {
    if (!(kind === 'audio' ? audio : video) || out[kind]) continue;
    try {
      const s = await gum(kind, kind === 'audio' ? audioId : videoId);
      out[kind] = (kind === 'audio' ? s.getAudioTracks() : s.getVideoTracks())[0] || null;
    } catch (e) {
      out.problems[kind] = why(e);
    }
  }
  out.note = noteFor(out.problems);
  return out;
}

function noteFor(p) {
  const a = p.audio, v = p.video;
  if (!a && !v) return '';
  if (a === 'blocked' && v === 'blocked') return 'Camera and microphone are blocked for this site: you will join without them (allow them in the address bar and reload).';
  if (a === 'missing' && v === 'missing') return 'No camera or microphone found: you will join without them.';
  const part = (what, r) => {
    switch (r) {
      case 'blocked': return `${what} is blocked for this site`;
      case 'missing': return `no ${what.toLowerCase()} found`;
      case 'busy': return `${what.toLowerCase()} is in use by another app`;
      default: return `${what.toLowerCase()} could not start`;
    }
  };
  const parts = [];
  if (v) parts.push(part('Camera', v));
  if (a) parts.push(part('Microphone', a));
  const s = parts.join('; ');
  const without = a && v ? 'them' : v ? 'video' : 'sound';
  return s.charAt(0).toUpperCase() + s.slice(1) + `: you will join without ${without}.`;
}

// devices lists cameras and microphones: {audio: [{id, label}], video: [...]}.
export async function devices() {
  const out = { audio: [], video: [] };
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return out;
  try {
    const list = await navigator.mediaDevices.enumerateDevices();
    for (const d of list) {
      if (d.kind === 'audioinput') out.audio.push({ id: d.deviceId, label: d.label || `Microphone ${out.audio.length + 1}` });
      if (d.kind === 'videoinput') out.video.push({ id: d.deviceId, label: d.label || `Camera ${out.video.length + 1}` });
    }
  } catch { /* no list: the pickers stay empty */ }
  // Before permission, ids are empty and the list says only that devices exist.
  out.audio = out.audio.filter((d, i, a) => d.id !== 'communications' && a.findIndex((x) => x.id === d.id) === i);
  out.video = out.video.filter((d, i, a) => a.findIndex((x) => x.id === d.id) === i);
  return out;
}

let sharedContext = null;

// audioContext is one AudioContext for the page, resumed on the first
// click or key if the browser started it suspended.
export function audioContext() {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return null;
  if (!sharedContext) {
    try {
      sharedContext = new AC();
    } catch {
      return null;
    }
    const resume = () => {
      if (sharedContext && sharedContext.state === 'suspended') sharedContext.resume().catch(() => {});
    };
    for (const ev of ['pointerdown', 'keydown']) window.addEventListener(ev, resume, { passive: true });
    resume();
  }
  return sharedContext;
}

// LevelMeter reports a microphone track's level, 0 to 1, about 15 times a
// second, until stopped.
export class LevelMeter {
  constructor(track, onLevel) {
    this.onLevel = onLevel;
    this.timer = 0;
    const ctx = audioContext();
    if (!ctx || !track) return;
    try {
      this.source = ctx.createMediaStreamSource(new MediaStream([track]));
      this.analyser = ctx.createAnalyser();
      this.analyser.fftSize = 512;
      this.analyser.smoothingTimeConstant = 0.5;
      this.source.connect(this.analyser);
      this.buf = new Float32Array(this.analyser.fftSize);
      this.timer = setInterval(() => this.tick(), 66);
    } catch {
      this.stop();
    }
  }

  tick() {
    if (!this.analyser) return;
    this.analyser.getFloatTimeDomainData(this.buf);
    let sum = 0;
    for (const x of this.buf) sum += x * x;
    const rms = Math.sqrt(sum / this.buf.length);
    // -60 dBFS .. 0 dBFS onto 0 .. 1
    const db = 20 * Math.log10(rms || 1e-9);
    this.onLevel(Math.min(1, Math.max(0, (db + 60) / 60)));
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    try {
      if (this.source) this.source.disconnect();
    } catch { /* already gone */ }
    this.source = null;
    this.analyser = null;
  }
}

export function stopTrack(t) {
  if (t) {
    try {
      t.stop();
    } catch { /* already stopped */ }
  }
}
