// The pre-join screen: the room, your name, a camera preview and a
// microphone meter with device pickers, and Join / Join with camera off.
// It resolves with what to join with; the call takes over the tracks.

import { $, h, localWhen, countdown } from './util.js';
import { icon } from './icons.js';
import { acquire, devices, savedDevices, saveDevice, LevelMeter, stopTrack } from './media.js';
import { savedName, saveName, checkName } from './identity.js';

export function prejoin({ room, theme, title }) {
  return new Promise((resolve) => {
    const el = {
      screen: $('prejoin'), emoji: $('pj-emoji'), title: $('pj-title'), sub: $('pj-sub'),
      video: $('preview'), off: $('preview-off'), meter: $('meter'), note: $('pj-note'),
      form: $('pj-form'), name: $('name'), nameError: $('name-error'), camSel: $('pj-camera'), micSel: $('pj-microphone'),
      join: $('join'), joinNoCam: $('join-nocam'), mic: $('pj-mic'), cam: $('pj-cam'), devices: $('pj-devices'),
    };
    el.emoji.textContent = theme.emoji || '';
    el.title.textContent = title;
    let subTimer = 0;
    const sub = () => {
      const parts = [];
      if (room.state === 'scheduled') {
        const ms = new Date(room.starts_at).getTime() - Date.now();
        parts.push(ms > 0 ? `Opens ${localWhen(room.starts_at)} (in ${countdown(ms)})` : 'Opening now');
      } else {
        parts.push(room.participants === 1 ? '1 person in the call' : room.participants ? `${room.participants} people in the call` : 'Nobody in the call yet');
      }
      if (room.locked) parts.push('locked');
      el.sub.textContent = parts.join(' · ');
    };
    sub();
    subTimer = setInterval(sub, 1000);

    el.name.value = new URLSearchParams(location.search).get('name') || savedName();
    const ids = savedDevices();
    const state = { audio: null, video: null, micOn: true, camOn: true, meter: null, busy: false, done: false, problems: {} };

    const showNote = (text) => {
      el.note.textContent = text || '';
      el.note.hidden = !text;
    };

    const setLevel = (v) => {
      el.meter.style.setProperty('--level', v.toFixed(3));
      el.meter.setAttribute('aria-valuenow', String(Math.round(v * 100)));
    };

    const render = () => {
      const hasV = !!state.video && state.camOn;
      el.video.srcObject = hasV ? new MediaStream([state.video]) : null;
      if (hasV) el.video.play().catch(() => {});
      el.off.hidden = hasV;
      el.off.textContent = state.video ? 'Camera is off' : state.busy ? 'Starting the camera…' : state.problems.video === 'blocked' ? 'Camera blocked' : state.problems.video === 'busy' ? 'Camera in use by another app' : 'No camera';
      el.meter.hidden = !state.audio;
      el.mic.replaceChildren(icon(state.micOn && state.audio ? 'mic' : 'mic-off'));
      el.mic.setAttribute('aria-label', state.audio ? (state.micOn ? 'Turn microphone off' : 'Turn microphone on') : 'No microphone');
      el.mic.setAttribute('aria-pressed', String(!!state.audio && state.micOn));
      el.mic.disabled = !state.audio;
      el.mic.classList.toggle('off', !(state.micOn && state.audio));
      el.cam.replaceChildren(icon(state.camOn && state.video ? 'video' : 'video-off'));
      el.cam.setAttribute('aria-label', state.video ? (state.camOn ? 'Turn camera off' : 'Turn camera on') : 'No camera');
      el.cam.setAttribute('aria-pressed', String(!!state.video && state.camOn));
      el.cam.disabled = !state.video;
      el.cam.classList.toggle('off', !(state.camOn && state.video));
      if (state.audio) state.audio.enabled = state.micOn;
      el.meter.classList.toggle('off', !(state.audio && state.micOn));
    };

    const startMeter = () => {
      if (state.meter) state.meter.stop();
      state.meter = state.audio ? new LevelMeter(state.audio, setLevel) : null;
      if (!state.audio) setLevel(0);
    };

    const fillPickers = async () => {
      const list = await devices();
      const fill = (sel, items, current, kind) => {
        const opts = items.map((d) => h('option', { value: d.id }, d.label));
        if (!items.length) opts.push(h('option', { value: '' }, kind === 'video' ? 'No camera' : 'No microphone'));
        sel.replaceChildren(...opts);
        const cur = current && current.getSettings ? current.getSettings().deviceId : '';
        if (cur && items.some((d) => d.id === cur)) sel.value = cur;
        sel.disabled = items.length < 2;
      };
      fill(el.camSel, list.video, state.video, 'video');
      fill(el.micSel, list.audio, state.audio, 'audio');
    };

    const open = async () => {
      state.busy = true;
      render();
      const got = await acquire({ audio: true, video: true, audioId: ids.audioId, videoId: ids.videoId });
      if (state.done) {
        stopTrack(got.audio);
        stopTrack(got.video);
        return;
      }
      state.audio = got.audio;
      state.video = got.video;
      state.problems = got.problems;
      state.busy = false;
      showNote(got.note);
      render();
      startMeter();
      await fillPickers();
    };

    const switchDevice = async (kind, id) => {
      saveDevice(kind, id);
      ids[kind === 'video' ? 'videoId' : 'audioId'] = id;
      const old = state[kind];
      stopTrack(old);
      state[kind] = null;
      const got = await acquire({ audio: kind === 'audio', video: kind === 'video', audioId: ids.audioId, videoId: ids.videoId });
      if (state.done) {
        stopTrack(got[kind]);
        return;
      }
      state[kind] = got[kind];
      state.problems[kind] = got.problems[kind];
      if (got.note) showNote(got.note);
      render();
      if (kind === 'audio') startMeter();
    };

    el.camSel.addEventListener('change', () => switchDevice('video', el.camSel.value));
    el.micSel.addEventListener('change', () => switchDevice('audio', el.micSel.value));
    el.mic.addEventListener('click', () => {
      state.micOn = !state.micOn;
      render();
    });
    el.cam.addEventListener('click', () => {
      state.camOn = !state.camOn;
      render();
    });
    el.name.addEventListener('input', () => {
      el.nameError.hidden = true;
      el.name.removeAttribute('aria-invalid');
    });

    let opening = Promise.resolve();
    let joining = false;
    const go = async (withCamera) => {
      if (joining) return;
      const bad = checkName(el.name.value);
      if (bad) {
        el.nameError.textContent = bad;
        el.nameError.hidden = false;
        el.name.setAttribute('aria-invalid', 'true');
        el.name.focus();
        return;
      }
      const name = el.name.value.trim();
      saveName(name);
      joining = true;
      el.join.disabled = true;
      el.joinNoCam.disabled = true;
      // Still asking for the camera and microphone: wait for the answer.
      await opening;
      state.done = true;
      clearInterval(subTimer);
      if (state.meter) state.meter.stop();
      el.video.srcObject = null;
      const camOff = !withCamera || !state.camOn;
      if (camOff) {
        stopTrack(state.video);
        state.video = null;
      }
      el.screen.hidden = true;
      resolve({
        name,
        audio: state.audio,
        video: state.video,
        muted: { audio: !state.micOn || !state.audio, video: camOff || !state.video },
        devices: { ...ids },
        busy: state.busy,
      });
    };

    el.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      go(true);
    });
    el.joinNoCam.addEventListener('click', () => go(false));

    $('loading').hidden = true;
    el.screen.hidden = false;
    render();
    if (!el.name.value) el.name.focus();
    opening = open().catch(() => {
      state.busy = false;
      showNote('Camera and microphone could not start: you will join without them.');
    });
  });
}
