#!/usr/bin/env bash
# End-to-end test of the terminal call UI: roomsd, a headless participant
# with test sources, and `rooms join` in tmux at 160x48. It asserts on the
# screen with its colours, as a user sees it: the test pattern's colours
# and the name on a tile, then m (mic), c (chat) and q (leave); then screen
# sharing both ways, with a virtual X display (Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "e2e-tui: tmux is missing (scripts/bootstrap installs it)" >&2; exit 1; }
bin=$(mktemp -d)
work=$(mktemp -d)
sock="$work/tmux.sock"
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$bin" "$work"
}
trap cleanup EXIT
fail() { echo "e2e-tui: FAIL: $*" >&2; echo "--- screen:" >&2; tmux -S "$sock" capture-pane -t call -p >&2 || true; exit 1; }

go build -o "$bin/" ./cmd/rooms ./internal/xvfbtest/paint
CGO_ENABLED=0 go build -o "$bin/" ./cmd/roomsd
port=$((20000 + RANDOM % 20000))
export ROOMS_SERVER=http://127.0.0.1:$port
"$bin/roomsd" serve --listen 127.0.0.1:$port --udp-port 0 --data-dir "$work/data" --log-level warn 2>"$work/roomsd.log" &
for _ in $(seq 100); do curl -fs "$ROOMS_SERVER/readyz" >/dev/null && break; sleep 0.1; done
room=$(XDG_STATE_HOME=$work/host "$bin/rooms" create --theme aperitivo --name "TUI test" --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
[ -n "$room" ] || fail "could not create a room"
XDG_STATE_HOME=$work/ann "$bin/rooms" join "$room" --headless --name Ann --video testsrc --audio testsrc --json >"$work/ann.out" 2>&1 &

# A session of its own keeps the tmux server up while call sessions come
# and go (killing a server's last session stops it, racing the next start).
tmux -S "$sock" new-session -d -s keep "sleep 600"
tmux -S "$sock" new-session -d -s call -x 160 -y 48 \
  "env XDG_STATE_HOME=$work/host ROOMS_SERVER=$ROOMS_SERVER COLORTERM=truecolor TERM=xterm-256color $bin/rooms join $room --name Host --video testsrc --audio testsrc; echo EXIT=\$?; sleep 30"

# wait_screen REGEX [with-colour]: the screen matches within 20 s.
wait_screen() {
  local flags=-p
  [ "${2:-}" = colour ] && flags="-p -e"
  for _ in $(seq 200); do
    tmux -S "$sock" capture-pane -t call $flags | grep -Eq "$1" && return 0
    sleep 0.1
  done
  fail "the screen never showed /$1/"
}

# Pre-join: the room, the name, the self-view of the test pattern, a mic meter.
wait_screen 'Your name'
wait_screen 'TUI test'
wait_screen '📷 test pattern'
wait_screen '🎤 test tone.*█'
wait_screen '1 in the call'
wait_screen '🔈 (no sound output device|default sound output)'
echo "e2e-tui: pre-join shows the room, the sources and a live mic meter"
tmux -S "$sock" send-keys -t call Enter
wait_screen 'Ann'
wait_screen 'TUI test — rooms'
# The test pattern's red and green bars, decoded: near-pure colours on screen.
wait_screen ';2;2[2-5][0-9];[0-3]?[0-9];[0-3]?[0-9]m' colour
wait_screen ';2;[0-3]?[0-9];2[2-5][0-9];[0-3]?[0-9]m' colour
echo "e2e-tui: a tile shows Ann's test pattern in colour"

wait_screen '🎤 on'
tmux -S "$sock" send-keys -t call m
wait_screen '🔇 muted'
for _ in $(seq 100); do grep -q '"kind":"audio","muted":true' "$work/ann.out" && break; sleep 0.1; done
grep -q '"kind":"audio","muted":true' "$work/ann.out" || fail "Ann was not told the host muted"
tmux -S "$sock" send-keys -t call m
wait_screen '🎤 on'
echo "e2e-tui: m mutes and unmutes, and the others are told"

tmux -S "$sock" send-keys -t call c
wait_screen 'Chat'
tmux -S "$sock" send-keys -t call -l 'hi from tmux'
tmux -S "$sock" send-keys -t call Enter
wait_screen 'Host: hi from tmux'
for _ in $(seq 100); do grep -q 'hi from tmux' "$work/ann.out" && break; sleep 0.1; done
grep -q 'hi from tmux' "$work/ann.out" || fail "Ann never got the chat message"
tmux -S "$sock" send-keys -t call Escape
sleep 0.5 # a key right after Escape would read as Alt+key
echo "e2e-tui: chat goes out and shows"

# Host keys: l locks (Ann is told), k asks, y removes Ann (who exits 4).
tmux -S "$sock" send-keys -t call l
wait_screen '🔒 locked'
for _ in $(seq 100); do grep -q '"locked":true' "$work/ann.out" && break; sleep 0.1; done
grep -q '"locked":true' "$work/ann.out" || fail "Ann was not told of the lock"
tmux -S "$sock" send-keys -t call k
wait_screen 'Remove Ann for good\?'
tmux -S "$sock" send-keys -t call y
wait_screen 'Ann was removed by the host'
for _ in $(seq 100); do grep -q '"type":"removed"' "$work/ann.out" && break; sleep 0.1; done
grep -q '"type":"removed"' "$work/ann.out" || fail "Ann was not removed"
echo "e2e-tui: the host locks and removes from the call screen"

# The host ends the room from another shell: the call says so on a screen
# of its own, any key closes it, and the exit code is 4.
XDG_STATE_HOME=$work/host "$bin/rooms" end "$room" --yes >/dev/null
wait_screen 'The host ended the room'
wait_screen 'press any key to close'
tmux -S "$sock" send-keys -t call x
wait_screen 'EXIT=4'
echo "e2e-tui: an ended room gets an end screen and exit 4"

# q asks, y leaves with exit 0 (alone in a new room: the first-here screen).
room2=$(XDG_STATE_HOME=$work/host "$bin/rooms" create --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
tmux -S "$sock" kill-session -t call
tmux -S "$sock" new-session -d -s call -x 160 -y 48 \
  "env XDG_STATE_HOME=$work/host ROOMS_SERVER=$ROOMS_SERVER COLORTERM=truecolor TERM=xterm-256color $bin/rooms join $room2 --name Host --video testsrc; echo EXIT=\$?; sleep 30"
wait_screen 'Your name'
tmux -S "$sock" send-keys -t call Enter
wait_screen "You're the first here"
tmux -S "$sock" send-keys -t call q
wait_screen 'Leave the call\?'
tmux -S "$sock" send-keys -t call y
wait_screen 'EXIT=0'
echo "e2e-tui: q then y leaves cleanly (exit 0)"

# Screen sharing: Bo shares a test screen and it takes the spotlight, in its
# colours; then s shares this terminal's X display (Xvfb, painted with the
# screen pattern) and Bo decodes that pattern; s again stops it.
command -v Xvfb >/dev/null || { echo "e2e-tui: Xvfb is missing (scripts/bootstrap installs it)" >&2; exit 1; }
exec 3>"$work/displayfd"
Xvfb -displayfd 3 -screen 0 1280x720x24 -noreset -nolisten tcp 2>"$work/xvfb.log" &
for _ in $(seq 100); do [ -s "$work/displayfd" ] && break; sleep 0.1; done
display=:$(head -1 "$work/displayfd")
"$bin/paint" -display "$display" -size 1280x720 || fail "could not paint the virtual display $display"
room3=$(XDG_STATE_HOME=$work/host "$bin/rooms" create --json | sed -n 's/.*"id": "\([a-z2-7]*\)".*/\1/p')
XDG_STATE_HOME=$work/bo "$bin/rooms" join "$room3" --headless --name Bo --video testsrc --screen testsrc --json >"$work/bo.out" 2>&1 &
tmux -S "$sock" kill-session -t call
tmux -S "$sock" new-session -d -s call -x 160 -y 48 \
  "env XDG_STATE_HOME=$work/host ROOMS_SERVER=$ROOMS_SERVER COLORTERM=truecolor TERM=xterm-256color DISPLAY=$display $bin/rooms join $room3 --name Host --video testsrc; echo EXIT=\$?; sleep 30"
wait_screen 'Your name'
tmux -S "$sock" send-keys -t call Enter
wait_screen '💻 SHARING +Bo.s screen'
# The screen pattern's orange quadrant (255,112,0), decoded.
wait_screen ';2;2[3-5][0-9];(9[7-9]|1[0-2][0-9]);[0-3]?[0-9]m' colour
wait_screen '💻 Bo'
echo "e2e-tui: Bo's shared screen takes the spotlight, in colour"
tmux -S "$sock" send-keys -t call s
wait_screen '💻 sharing'
for _ in $(seq 200); do grep -q '"kind":"screen","latency_ms":[0-9]*,"name":"Host","pattern_ok":true' "$work/bo.out" && break; sleep 0.1; done
grep -q '"kind":"screen","latency_ms":[0-9]*,"name":"Host","pattern_ok":true' "$work/bo.out" || fail "Bo never decoded the host's shared X display"
tmux -S "$sock" send-keys -t call s
for _ in $(seq 100); do grep -q '"kind":"screen","name":"Host".*"type":"track_ended"' "$work/bo.out" && break; sleep 0.1; done
grep -q '"kind":"screen","name":"Host".*"type":"track_ended"' "$work/bo.out" || fail "the host's share did not end for Bo"
echo "e2e-tui: s shares the X display (Bo decodes its pattern) and s stops it"
echo "e2e-tui: ok"
