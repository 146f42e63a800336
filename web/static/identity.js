// This browser's identity in rooms: one Ed25519 key pair, made once and
// kept in localStorage, so a host's ban (which names the key) holds across
// visits and a dropped connection comes back as the same person. And the
// host key, which arrives in the URL fragment (#host=rhk_...) and never
// travels in a URL: it is kept in sessionStorage and sent only in the join
// message and the Rooms-Host-Key header.

import { local, session } from './util.js';

const KEY_STORE = 'rooms.identity.v1';
// PKCS #8 wrapping of a 32-byte Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

export function b64url(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function unb64url(s) {
  const t = String(s).replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(t + '='.repeat((4 - (t.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const subtle = (globalThis.crypto && globalThis.crypto.subtle) || null;

async function webcryptoIdentity(stored) {
  if (!subtle) return null;
  try {
    if (stored) {
      const key = await subtle.importKey('pkcs8', unb64url(stored.pkcs8), { name: 'Ed25519' }, false, ['sign']);
      return { publicKey: stored.pub, sign: async (data) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, data)), kind: 'webcrypto' };
    }
    const pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
    const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
    const pub = b64url(await subtle.exportKey('raw', pair.publicKey));
    local.set(KEY_STORE, JSON.stringify({ pkcs8: b64url(pkcs8), pub }));
    return { publicKey: pub, sign: async (data) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, pair.privateKey, data)), kind: 'webcrypto' };
  } catch {
    return null; // no Ed25519 in this browser's WebCrypto
  }
}

// fallbackIdentity signs in JavaScript (ed25519.js: the vendored, audited
// noble libraries), loaded only now that WebCrypto has no Ed25519. The key
// is stored as WebCrypto stores it (PKCS #8 around the 32-byte seed), so
// the same key serves either way, and a key stored by the earlier
// hand-written fallback is read the same way.
async function fallbackIdentity(stored) {
  const fallback = await import('./ed25519.js');
  let seed;
  if (stored) {
    const p = unb64url(stored.pkcs8);
    seed = p.slice(p.length - 32);
  } else {
    seed = new Uint8Array(32);
    crypto.getRandomValues(seed);
    const pkcs8 = new Uint8Array(48);
    pkcs8.set(PKCS8_PREFIX);
    pkcs8.set(seed, 16);
    local.set(KEY_STORE, JSON.stringify({ pkcs8: b64url(pkcs8), pub: b64url(fallback.publicKey(seed)) }));
  }
  const pub = b64url(fallback.publicKey(seed));
  return { publicKey: pub, sign: async (data) => fallback.sign(seed, data), kind: 'js' };
}

let identityPromise = null;

// identity loads (or makes and stores) this browser's key pair. It returns
// {publicKey: base64url, sign(bytes) → Promise<Uint8Array>}.
export function identity() {
  if (!identityPromise) identityPromise = loadIdentity();
  return identityPromise;
}

async function loadIdentity() {
  let stored = null;
  try {
    const s = JSON.parse(local.get(KEY_STORE) || 'null');
    if (s && typeof s.pkcs8 === 'string' && typeof s.pub === 'string' && unb64url(s.pkcs8).length === 48) stored = s;
  } catch {
    stored = null;
  }
  return (await webcryptoIdentity(stored)) || fallbackIdentity(stored);
}

// signJoin signs the join text of the protocol:
// "rooms/v2 join\n<origin>\n<room id>\n<challenge>", the origin being this
// page's (the server it came from), so a server relaying another's
// challenge cannot pass the signature on.
export async function signJoin(roomID, challenge) {
  const id = await identity();
  const text = new TextEncoder().encode('rooms/v2 join\n' + location.origin + '\n' + roomID + '\n' + challenge);
  return { public_key: id.publicKey, signature: b64url(await id.sign(text)) };
}

const hostStore = (roomID) => 'rooms.host.' + roomID;

// takeHostKey reads #host=rhk_... from the address bar into
// sessionStorage and removes it from the address bar (and history), so it
// does not linger where it could be copied or shared by accident.
export function takeHostKey(roomID) {
  const frag = location.hash.replace(/^#/, '');
  if (frag) {
    const params = new URLSearchParams(frag);
    const key = params.get('host');
    if (key !== null) {
      if (/^rhk_[a-z0-9]{10,}$/i.test(key.trim())) session.set(hostStore(roomID), key.trim());
      params.delete('host');
      const rest = params.toString();
      history.replaceState(history.state, '', location.pathname + location.search + (rest ? '#' + rest : ''));
    }
  }
  return session.get(hostStore(roomID));
}

export function hostKey(roomID) {
  return session.get(hostStore(roomID));
}

export function forgetHostKey(roomID) {
  session.remove(hostStore(roomID));
}

const NAME_STORE = 'rooms.name';

export function savedName() {
  return local.get(NAME_STORE) || '';
}

export function saveName(name) {
  local.set(NAME_STORE, name);
}

// checkName applies the server's rule (1 to 64 characters after trimming,
// no control characters) and returns a reason when the name breaks it.
export function checkName(name) {
  const n = String(name || '').trim();
  if (!n) return 'Type the name the others will see.';
  if (Array.from(n).length > 64) return 'Names are at most 64 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(n)) return 'Names cannot hold control characters or line breaks.';
  // The server refuses invisible format characters (bidirectional
  // controls such as U+202E, zero-width spaces) too (internal/safetext);
  // a zero-width joiner inside an emoji is fine, the server decides.
  if (/[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/.test(n)) {
    return 'Names cannot hold invisible or right-to-left control characters.';
  }
  return '';
}
