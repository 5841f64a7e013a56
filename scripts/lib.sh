# Shared by the scripts in this directory: install what a fresh Debian machine lacks.

step() { printf '\n== %s\n' "$*"; }

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
  apt_install gcc pkg-config curl python3 libwebkit2gtk-4.1-dev libxdo-dev libssl-dev \
    librsvg2-dev xvfb xauth
}

# The app's end-to-end tests drive it through tauri-driver and WebKitWebDriver.
ensure_app_driver() {
  apt_install webkit2gtk-driver
  if ! command -v tauri-driver >/dev/null; then
    step "installing tauri-driver"
    cargo install --locked --quiet tauri-driver --version '^2'
  fi
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
