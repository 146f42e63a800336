// The public directory (/): the rooms GET /v1/rooms lists, with their
// theme's emoji, state, who is in the call and, for booked rooms, when
// they open in the viewer's own time. Refreshed every 20 s.

import { h, $, api, themes, applyTheme, DEFAULT_THEME, localWhen, roomTitle } from './util.js';

const REFRESH = 20000;

function card(room, theme) {
  const title = roomTitle(room, theme);
  const facts = [];
  if (room.state === 'open') {
    facts.push(h('span', { class: 'pill state-open' }, 'Open now'));
    facts.push(h('span', { class: 'pill' }, room.participants === 1 ? '1 in the call' : room.participants ? `${room.participants} in the call` : 'Nobody in yet'));
  } else if (room.state === 'scheduled') {
    const when = localWhen(room.starts_at);
    facts.push(h('time', { class: 'pill state-scheduled', datetime: room.starts_at, title: new Date(room.starts_at).toString() }, `Opens ${when}`));
    if (room.participants > 0) facts.push(h('span', { class: 'pill' }, `${room.participants} waiting`));
  } else {
    facts.push(h('span', { class: 'pill' }, room.state));
  }
  if (room.locked) facts.push(h('span', { class: 'pill' }, 'Locked'));
  const a = h('a', { class: 'room-card', href: room.link || `/r/${room.id}` },
    h('div', { class: 'top' },
      h('span', { class: 'emoji', 'aria-hidden': 'true' }, theme.emoji || ''),
      h('div', {},
        h('h2', {}, title),
        room.name ? h('span', { class: 'theme-name' }, theme.title || room.theme) : null)),
    h('div', { class: 'facts' }, ...facts));
  const accent = theme.palette && /^#[0-9a-f]{6}$/i.test(theme.palette.accent) ? theme.palette.accent : '';
  if (accent) a.style.setProperty('--card-accent', accent);
  return h('li', {}, a);
}

async function load() {
  const box = $('rooms');
  let list, all;
  try {
    [list, all] = await Promise.all([api('/v1/rooms?limit=200'), themes()]);
  } catch (e) {
    box.replaceChildren(h('div', { class: 'empty' },
      h('p', {}, 'The list of rooms could not be loaded.'),
      h('p', { class: 'muted' }, e.message || '')));
    box.removeAttribute('aria-busy');
    return;
  }
  const byName = new Map(all.map((t) => [t.name, t]));
  const rooms = (list && Array.isArray(list.rooms)) ? list.rooms : [];
  box.removeAttribute('aria-busy');
  if (!rooms.length) {
    box.replaceChildren(h('div', { class: 'empty' },
      h('span', { class: 'emoji', 'aria-hidden': 'true' }, '🌙'),
      h('p', {}, 'No public rooms right now.'),
      h('p', { class: 'muted' }, 'Private rooms are not listed: they open from their link.')));
  } else {
    box.replaceChildren(h('ul', { class: 'room-list' },
      ...rooms.map((r) => card(r, byName.get(r.theme) || DEFAULT_THEME))));
  }
  $('dir-updated').textContent = rooms.length === 1 ? '1 room' : `${rooms.length} rooms`;
}

applyTheme(DEFAULT_THEME);
themes().then((all) => applyTheme(all.find((t) => t.name === DEFAULT_THEME.name) || DEFAULT_THEME));
load();
setInterval(() => {
  if (document.visibilityState === 'visible') load();
}, REFRESH);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') load();
});
