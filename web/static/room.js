// Placeholder until the browser call lands: say how to join from a terminal.
const id = document.querySelector('meta[name="rooms-room"]').content;
const app = document.getElementById('app');
app.replaceChildren();
const h = document.createElement('h1');
h.textContent = 'Joining from the browser is coming';
const p = document.createElement('p');
p.textContent = 'Join this room from a terminal:';
const pre = document.createElement('pre');
pre.textContent = `rooms join ${location.origin}/r/${id}`;
app.append(h, p, pre);
