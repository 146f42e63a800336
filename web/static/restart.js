// Reconnecting without leaving the call, as pkg/client does
// (docs/protocol.md, "Reconnecting"): ICE disconnected shows the
// reconnecting banner and waits (a short cut heals by itself); ICE failed
// after having connected restarts ICE on the same connections (publish:
// restartIce and a new offer; subscribe: `restart_ice` asks the server to
// offer with new credentials); a second failure falls back to the rejoin
// (the call's close-and-reconnect). Mixed into Call (call.js).

export const iceRestart = {
  // resetICE forgets the last session's ICE record (attach's).
  resetICE() {
    this.ice = { up: {}, down: new Set(), restarted: {} };
    this.interruptedAt = 0;
  },

  // iceRestarting says whether a restart of connection name is under way
  // (its failure then is the restart's to handle, not a reason to close).
  iceRestarting(name) {
    return !!(this.ice && this.ice.restarted[name] === 'once');
  },

  // iceState acts on a connection's ICE state; true when it handled it.
  iceState(pc, name, st) {
    const ice = this.ice;
    if (!ice) return false;
    if (st === 'connected' || st === 'completed') {
      ice.up[name] = true;
      ice.down.delete(name);
      ice.restarted[name] = '';
      // Back only with the call connection up: after a drop the rejoin
      // under way says when the call is whole again.
      if (ice.down.size === 0 && this.interruptedAt && this.phase === 'reconnecting' && this.session && this.session.open) {
        const after = Math.round(performance.now() - this.interruptedAt);
        this.interruptedAt = 0;
        this.note('media back', after + ' ms');
        this.setPhase('joined', { recovered: true });
        this.emit('reconnected', { rejoined: false, after });
      }
      return false;
    }
    if (!ice.up[name]) return false; // never connected: media failed, as before
    if (st === 'disconnected') {
      ice.down.add(name);
      this.interrupted();
      return true;
    }
    if (st !== 'failed') return false;
    ice.down.add(name);
    if (ice.restarted[name] || !this.session) {
      ice.restarted[name] = 'failed';
      this.note(name + ' ICE restart failed', 'rejoining');
      // The close is the rejoin.
      if (this.session) this.session.ws.close();
      return true;
    }
    ice.restarted[name] = 'once';
    this.interrupted();
    this.note(name + ' ICE failed', 'restarting ICE');
    if (name === 'publish') {
      pc.restartIce();
      this.negotiate();
    } else {
      this.session.send('restart_ice', { pc: 'subscribe' });
    }
    return true;
  },

  // interrupted shows the reconnecting banner, once an interruption.
  interrupted() {
    if (this.phase === 'reconnecting') return;
    this.interruptedAt = performance.now();
    this.setPhase('reconnecting', { attempt: 1, wasIn: true, media: true });
  },
};
