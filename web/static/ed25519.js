// Ed25519 (RFC 8032) for browsers whose WebCrypto lacks it, or pages that
// are not a secure context (http:// on a LAN address, where crypto.subtle
// is missing). identity.js prefers WebCrypto and imports this module only
// when WebCrypto cannot sign with Ed25519, so most pages never load it.
//
// The arithmetic is @noble/ed25519 and the SHA-512 @noble/hashes, vendored
// unchanged from the npm registry with their licences (vendor/README.md
// has their versions and checksums). noble's own SHA-512 would need
// crypto.subtle, which is what is missing on an insecure page, so the
// synchronous one is wired in.

import * as ed from './vendor/noble-ed25519/index.js';
import { sha512 } from './vendor/noble-hashes/sha2.js';

ed.hashes.sha512 = sha512;

// publicKey is the 32-byte public key of a 32-byte seed (the private key
// as RFC 8032 and PKCS #8 keep it).
export function publicKey(seed) {
  return ed.getPublicKey(seed);
}

// sign signs msg with the key of seed; it returns the 64-byte signature.
export function sign(seed, msg) {
  return ed.sign(msg, seed);
}
