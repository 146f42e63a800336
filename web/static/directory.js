// Placeholder until the browser client lands: list the public rooms.
const app = document.getElementById('app');
const res = await fetch('/v1/rooms', { headers: { Accept: 'application/json' } });
const { rooms } = await res.json();
app.replaceChildren();
const h = document.createElement('h1');
h.textContent = 'Rooms on this server';
app.append(h);
for (const r of rooms) {
  const a = document.createElement('a');
  a.href = r.link;
  a.textContent = `${r.name || r.theme} — ${r.state}, ${r.participants} in the call`;
  const li = document.createElement('p');
  li.append(a);
  app.append(li);
}
const hint = document.createElement('p');
hint.textContent = 'Create a room from your terminal: rooms create --theme aperitivo --at 19:00';
app.append(hint);
