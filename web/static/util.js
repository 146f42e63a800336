// Small helpers every page shares: building DOM without innerHTML, the
// REST API (problem documents become ApiError), themes and times.
//
// Everything a page shows that came from someone else (room names, display
// names, chat) goes through textContent, never markup.

// h builds an element: h('button', {class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child).
// Attributes named on* become listeners; class, hidden, disabled and value
// are set as properties; the rest as attributes. Children are strings (as
// text) or nodes; null and false are skipped. There is no way to pass HTML.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'hidden' || k === 'disabled' || k === 'value' || k === 'checked' || k === 'muted' ||
      k === 'autoplay' || k === 'playsInline') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

// $ finds one element by id.
export const $ = (id) => document.getElementById(id);

// apiBase is the server's root as this page sees it: a path prefix in
// front of /r/{id} or / is kept.
export function apiBase() {
  const p = location.pathname;
  const i = p.lastIndexOf('/r/');
  if (i >= 0) return p.slice(0, i);
  return p.replace(/\/[^/]*$/, '');
}

// ApiError is a refused request: code is the problem document's stable
// code ("room_not_found", ...), or "network" when nothing came back.
export class ApiError extends Error {
  constructor(code, message, status, problem) {
    super(message);
    this.code = code;
    this.status = status || 0;
    this.problem = problem || null;
  }
}

// api calls the REST API and returns the decoded JSON; failures throw
// ApiError. Secrets go in headers (opts.hostKey as Rooms-Host-Key), never
// in the URL.
export async function api(path, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (opts.hostKey) headers['Rooms-Host-Key'] = opts.hostKey;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(apiBase() + path, { method: opts.method || 'GET', headers, body, cache: 'no-store', credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError('network', 'The server could not be reached.', 0);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const code = (data && data.code) || (res.status === 404 ? 'not_found' : 'http_' + res.status);
    const msg = (data && (data.detail || data.title)) || `HTTP ${res.status}`;
    throw new ApiError(code, msg, res.status, data);
  }
  return data;
}

// The default palette, used until (or if) the server's themes arrive.
export const DEFAULT_THEME = {
  name: 'classic', emoji: '💬', title: 'Classic',
  palette: { accent: '#4f8cff', background: '#14161c', text: '#e8eaf0', tile_border: '#2c3140' },
};

let themesPromise = null;

// themes fetches GET /v1/themes once per page.
export function themes() {
  if (!themesPromise) {
    themesPromise = api('/v1/themes').then((d) => (d && Array.isArray(d.themes) ? d.themes : [DEFAULT_THEME]))
      .catch(() => [DEFAULT_THEME]);
  }
  return themesPromise;
}

// findTheme looks a theme up by name (as the server does: case and spaces
// ignored), falling back to the first (the default).
export async function findTheme(name) {
  const all = await themes();
  const want = String(name || '').trim().toLowerCase();
  return all.find((t) => t.name === want) || all.find((t) => t.name === DEFAULT_THEME.name) || all[0] || DEFAULT_THEME;
}

const HEX = /^#[0-9a-fA-F]{6}$/;

// applyTheme sets the palette as CSS custom properties on the root
// (CSSOM, which the page's CSP allows) and the emoji as the tab's icon.
export function applyTheme(theme) {
  const p = (theme && theme.palette) || DEFAULT_THEME.palette;
  const root = document.documentElement.style;
  const set = (prop, v, d) => root.setProperty(prop, HEX.test(v || '') ? v : d);
  set('--accent', p.accent, DEFAULT_THEME.palette.accent);
  set('--bg', p.background, DEFAULT_THEME.palette.background);
  set('--text', p.text, DEFAULT_THEME.palette.text);
  set('--border', p.tile_border, DEFAULT_THEME.palette.tile_border);
  const meta = document.querySelector('meta[name="theme-color"]');
  if (meta && HEX.test(p.background || '')) meta.setAttribute('content', p.background);
  setFavicon((theme && theme.emoji) || DEFAULT_THEME.emoji);
}

// setFavicon draws an emoji as the tab icon (an SVG data URL; img-src
// allows data:). The emoji is escaped for XML.
export function setFavicon(emoji) {
  const esc = String(emoji).replace(/[<>&'"]/g, '');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><text y=".9em" font-size="90">${esc}</text></svg>`;
  let link = document.querySelector('link[rel="icon"]');
  if (!link) {
    link = h('link', { rel: 'icon' });
    document.head.append(link);
  }
  link.setAttribute('href', 'data:image/svg+xml,' + encodeURIComponent(svg));
}

// roomTitle is what a room is called: its name, else its theme's title.
export function roomTitle(room, theme) {
  return (room && room.name) || (theme && theme.title) || 'Room';
}

// Times are shown in the viewer's own zone and language.
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: 'numeric', minute: '2-digit' });
const dateFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' });

// localWhen shows a time as "19:00", "tomorrow 19:00", "Fri 19:00" or
// "Fri 27 Nov 19:00", by how far it is.
export function localWhen(t, now = new Date()) {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((day(d) - day(now)) / 86400000);
  if (days === 0) return timeFmt.format(d);
  if (days === 1) return 'tomorrow ' + timeFmt.format(d);
  if (days > 1 && days < 7) return dayFmt.format(d);
  return dateFmt.format(d);
}

export function clockTime(t) {
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? '' : timeFmt.format(d);
}

// countdown shows a wait as "2 h 05 min", "4:59" or "0:03".
export function countdown(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (s >= 86400) {
    const dd = Math.floor(s / 86400);
    return `${dd} d ${Math.floor((s % 86400) / 3600)} h`;
  }
  if (hh > 0) return `${hh} h ${String(mm).padStart(2, '0')} min`;
  return `${mm}:${String(ss).padStart(2, '0')}`;
}

// initials of a display name, for a tile without video.
export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const first = (s) => Array.from(s)[0] || '';
  if (parts.length === 0) return '?';
  if (parts.length === 1) return first(parts[0]).toUpperCase();
  return (first(parts[0]) + first(parts[parts.length - 1])).toUpperCase();
}

// storage wraps localStorage / sessionStorage, which may be missing or
// refuse (private windows, full quota): then values live for the page only.
function store(kind) {
  const mem = new Map();
  let s = null;
  try {
    s = window[kind];
    const probe = '__rooms_probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
  } catch {
    s = null;
  }
  return {
    get(k) {
      try {
        return s ? s.getItem(k) : (mem.has(k) ? mem.get(k) : null);
      } catch {
        return mem.has(k) ? mem.get(k) : null;
      }
    },
    set(k, v) {
      mem.set(k, v);
      try {
        if (s) s.setItem(k, v);
      } catch { /* keep it in memory */ }
    },
    remove(k) {
      mem.delete(k);
      try {
        if (s) s.removeItem(k);
      } catch { /* nothing to do */ }
    },
  };
}

export const local = store('localStorage');
export const session = store('sessionStorage');

// sleep resolves after ms.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
