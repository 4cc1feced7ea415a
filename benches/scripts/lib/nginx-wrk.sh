# Sourced by the scripts that measure against nginx: installs nginx-light and wrk from
# Debian's packages when missing (as root; otherwise says what to install and exits 1),
# and sets nginx_bin.
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "error: missing ${need[*]}: run 'sudo apt-get install ${need[*]}'" >&2; exit 1
  fi
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
export nginx_bin
