# Shared by the scripts in this directory: install what a fresh Debian machine lacks.

step() { printf '\n== %s\n' "$*"; }

# Commands run when the calling script exits, last added first.
EXIT_HOOKS=()
on_exit() {
  EXIT_HOOKS=("$*" "${EXIT_HOOKS[@]}")
  trap 'for hook in "${EXIT_HOOKS[@]}"; do eval "$hook"; done' EXIT
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_rust_build_deps() {
  command -v cargo >/dev/null || { echo "cargo is needed: install Rust (rustup) first" >&2; exit 1; }
  # WebKitGTK and friends for the Tauri app; Xvfb to run it without a screen.
  apt_install gcc binutils pkg-config curl python3 libwebkit2gtk-4.1-dev libxdo-dev libssl-dev \
    librsvg2-dev xvfb xauth
}

# The app's end-to-end tests drive it through tauri-driver and WebKitWebDriver.
ensure_app_driver() {
  # pdftotext (poppler-utils): the minutes the app prints to PDF are read back as text;
  # xdotool answers the system's save dialog as a person would.
  apt_install webkit2gtk-driver poppler-utils xdotool
  if ! command -v tauri-driver >/dev/null; then
    step "installing tauri-driver"
    cargo install --locked --quiet tauri-driver --version '^2'
  fi
}

# `systemd-analyze verify` checks the server's systemd unit (tests/tests/packages.rs); on
# Debian 12 it comes with the systemd package, which a container may lack.
ensure_unit_check() {
  apt_install systemd
}

ensure_nextest() {
  if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install --locked --quiet cargo-nextest
  fi
}

# The UI's packages (from the lock file) and its build, which the app embeds.
build_ui() {
  command -v npm >/dev/null || { echo "npm is needed: install Node.js 20 first" >&2; exit 1; }
  (cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build >/dev/null)
}

# PostgreSQL for the tests: the database named by LAGESBILD_TEST_POSTGRES when it is set,
# else a throwaway cluster of Debian's PostgreSQL, run as the `postgres` user (it refuses
# root) in a temporary directory and stopped when the calling script exits.
ensure_postgres() {
  if [ -n "${LAGESBILD_TEST_POSTGRES:-}" ]; then
    return
  fi
  apt_install postgresql
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  PG_TEST_DIR=$(mktemp -d /tmp/lagesbild-pg.XXXXXX)
  chown postgres "$PG_TEST_DIR"
  local port=$(( 20000 + RANDOM % 20000 ))
  step "PostgreSQL: a throwaway cluster on port $port"
  runuser -u postgres -- "$bin/initdb" -D "$PG_TEST_DIR/data" -U lagesbild --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  # Durability is not what the tests are about: fsync off makes the cluster quick. The
  # benchmarks (PG_DURABLE=1) keep PostgreSQL's durable defaults, as in production.
  local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ -n "${PG_DURABLE:-}" ] && speed="-c shared_buffers=256MB"
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w \
    -o "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 $speed \
        -c max_connections=300" start >/dev/null
  PG_TEST_BIN=$bin
  on_exit stop_postgres
  export LAGESBILD_TEST_POSTGRES="postgres://lagesbild@127.0.0.1:$port/postgres"
}

stop_postgres() {
  if [ -n "${PG_TEST_DIR:-}" ]; then
    runuser -u postgres -- "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}

# A key store for the app's and the command line's store keys: a session bus of its own
# with an unlocked GNOME keyring (Secret Service), in a throwaway directory, both stopped
# when the calling script exits. The tests use it; so does the demo when no session bus
# is running. A desktop session's own keyring is used as it is.
ensure_keyring() {
  # gdbus (libglib2.0-bin): the tests lock a keyring of their own with it.
  apt_install dbus-daemon dbus-bin gnome-keyring libglib2.0-bin
  KEYRING_DIR=$(mktemp -d /tmp/lagesbild-keyring.XXXXXX)
  local bus="unix:path=$KEYRING_DIR/bus"
  dbus-daemon --session --fork --address="$bus" --print-pid >"$KEYRING_DIR/bus.pid"
  on_exit 'kill "$(cat "$KEYRING_DIR/bus.pid")" 2>/dev/null; rm -rf "$KEYRING_DIR"'
  export DBUS_SESSION_BUS_ADDRESS="$bus"
  # The keyring's password only unlocks this throwaway keyring.
  printf 'lagesbild-test' | XDG_DATA_HOME="$KEYRING_DIR" XDG_RUNTIME_DIR="$KEYRING_DIR" \
    gnome-keyring-daemon --foreground --unlock --components=secrets >"$KEYRING_DIR/log" 2>&1 &
  KEYRING_PID=$!
  on_exit 'kill "$KEYRING_PID" 2>/dev/null'
  for _ in $(seq 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
      grep -q 'boolean true' && return
    sleep 0.1
  done
  echo "the GNOME keyring did not start: $(cat "$KEYRING_DIR/log")" >&2
  exit 1
}
