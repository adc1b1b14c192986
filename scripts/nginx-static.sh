#!/bin/sh
# Serve DIR/www as static files on 127.0.0.1:PORT with nginx (Debian's
# package), in the foreground, its pid file and logs under DIR. The
# benchmarks start it in the background and kill it when done.
# Usage: scripts/nginx-static.sh DIR PORT
set -eu
DIR=${1:?usage: scripts/nginx-static.sh DIR PORT}
PORT=${2:?usage: scripts/nginx-static.sh DIR PORT}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "needs nginx: apt-get install nginx" >&2; exit 2; }
# nginx's worker runs as an unprivileged user: it must be able to read the files.
chmod 0755 "$DIR" "$DIR/www"
mkdir -p "$DIR/logs"
cat > "$DIR/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  types { application/rss+xml xml; }
  server { listen 127.0.0.1:$PORT; root $DIR/www; etag on; }
}
NGINX
exec "$NGINX" -p "$DIR" -c "$DIR/nginx.conf"
