#!/usr/bin/env bash
# Starts MariaDB, Redis and Dovecot IMAP on loopback, on free ports, for the test suite (no systemd needed).
# Installs the Debian packages first when they are missing and we are root.
#   source scripts/test-services.sh; svc_install; svc_start; ...; svc_stop
# svc_start exports TEST_MARIADB_URL, TEST_MARIADB_ROOT_URL, TEST_REDIS_URL, TEST_IMAP_HOST/PORT/TLS_PORT/USER/PASS,
# TEST_DOVECOT_CONF and TEST_SERVICES_DIR.
set -euo pipefail
SVC_DIR=${SVC_DIR:-$(mktemp -d /tmp/ghiseu-svc.XXXXXX)}
DB_USER=${DB_USER:-ghiseu}; DB_PASS=${DB_PASS:-ghiseu-test}
IMAP_USER=${IMAP_USER:-registratura@primarie.test}; IMAP_PASS=${IMAP_PASS:-imap-test-pass}

svc_install() {
  export DEBIAN_FRONTEND=noninteractive
  local need=()
  command -v mariadbd     >/dev/null 2>&1 || need+=(mariadb-server)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v dovecot      >/dev/null 2>&1 || need+=(dovecot-imapd)
  command -v openssl      >/dev/null 2>&1 || need+=(openssl)
  command -v ss           >/dev/null 2>&1 || need+=(iproute2)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf ] || need+=(fonts-dejavu-core)
  if ((${#need[@]})); then
    if [ "$(id -u)" != 0 ]; then echo "missing: ${need[*]} (install them, or run as root so the tests can)" >&2; return 1; fi
    echo "installing ${need[*]} ..." >&2
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

_wait() { # _wait SECONDS CMD...
  local t=$(( $1 * 10 )); shift
  for ((i = 0; i < t; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timeout waiting for: $*" >&2; return 1
}

# Ask the kernel for free ports rather than trusting fixed ones: machines are shared.
_free_ports() {
  node -e '
    const net = require("net"); const n = +process.argv[1]; const ports = []; const servers = [];
    (function next() {
      if (ports.length === n) { servers.forEach((s) => s.close()); console.log(ports.join(" ")); return; }
      const s = net.createServer(); s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); servers.push(s); next(); });
    })();' "$1"
}

svc_start() {
  read -r MYSQL_PORT REDIS_PORT IMAP_PORT IMAPS_PORT <<<"$(_free_ports 4)"
  mkdir -p "$SVC_DIR"/{mysql,redis,dovecot/mail,dovecot/state}
  # mktemp makes the folder 0700; Dovecot's unprivileged auth process must read the users file inside it.
  chmod 755 "$SVC_DIR" "$SVC_DIR/dovecot"

  # --- MariaDB ---
  mariadb-install-db --no-defaults --user=root --datadir="$SVC_DIR/mysql/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$SVC_DIR/mysql/install.log" 2>&1
  mariadbd --no-defaults --user=root --datadir="$SVC_DIR/mysql/data" \
    --socket="$SVC_DIR/mysql/mysqld.sock" --pid-file="$SVC_DIR/mysql/mysqld.pid" \
    --port="$MYSQL_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=1 --max-connections=400 \
    --log-error="$SVC_DIR/mysql/err.log" </dev/null >/dev/null 2>&1 &
  _wait 60 mariadb-admin --no-defaults --socket="$SVC_DIR/mysql/mysqld.sock" -uroot ping
  # The test user may create a database per test file.
  mariadb --no-defaults --socket="$SVC_DIR/mysql/mysqld.sock" -uroot <<SQL
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON *.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL ON *.* TO '$DB_USER'@'localhost';
CREATE DATABASE IF NOT EXISTS ghiseu CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL

  # --- Redis (no persistence) ---
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --dir "$SVC_DIR/redis" --pidfile "$SVC_DIR/redis/redis.pid" --logfile "$SVC_DIR/redis/redis.log"
  _wait 10 redis-cli -p "$REDIS_PORT" ping

  # --- Dovecot IMAP (plain + STARTTLS, and implicit TLS; self-signed) ---
  local D="$SVC_DIR/dovecot"
  chown nobody:nogroup "$D/mail" 2>/dev/null || true
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -keyout "$D/key.pem" -out "$D/cert.pem" >/dev/null 2>&1
  echo "$IMAP_USER:{PLAIN}$IMAP_PASS" >"$D/users"; chmod 644 "$D/users"
  cat >"$D/dovecot.conf" <<CONF
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$D/cert.pem
ssl_key = <$D/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:$D/mail/%n
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$D/mail/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
CONF
  dovecot -c "$D/dovecot.conf"
  _wait 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$IMAP_PORT"

  export TEST_SERVICES_DIR="$SVC_DIR"
  export TEST_MARIADB_URL="mysql://$DB_USER:$DB_PASS@127.0.0.1:$MYSQL_PORT/ghiseu"
  export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export TEST_IMAP_HOST=127.0.0.1 TEST_IMAP_PORT="$IMAP_PORT" TEST_IMAP_TLS_PORT="$IMAPS_PORT"
  export TEST_IMAP_USER="$IMAP_USER" TEST_IMAP_PASS="$IMAP_PASS" TEST_DOVECOT_CONF="$D/dovecot.conf"
  {
    echo "export TEST_SERVICES_DIR='$SVC_DIR'"
    echo "export TEST_MARIADB_URL='$TEST_MARIADB_URL'"
    echo "export TEST_REDIS_URL='$TEST_REDIS_URL'"
    echo "export TEST_IMAP_HOST=127.0.0.1 TEST_IMAP_PORT=$IMAP_PORT TEST_IMAP_TLS_PORT=$IMAPS_PORT"
    echo "export TEST_IMAP_USER='$IMAP_USER' TEST_IMAP_PASS='$IMAP_PASS' TEST_DOVECOT_CONF='$D/dovecot.conf'"
  } >"$SVC_DIR/env"
}

svc_stop() {
  local f
  f="$SVC_DIR/dovecot/run/master.pid"; [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  f="$SVC_DIR/redis/redis.pid";        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  f="$SVC_DIR/mysql/mysqld.pid";       [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  sleep 0.5; rm -rf "$SVC_DIR"
}
