# shellcheck shell=bash
# Sourced by scripts/laudnet, scripts/fetch-assets and scripts/test: the LAUDNet home, by the rule of
# org.laudnet.core.util.LaudnetHome (the JVM also honours -Dlaudnet.home first; the launcher passes the result of
# this rule as that property):
#   $LAUDNET_HOME if set and not empty, else $HOME/.laudnet, else .laudnet in the account's home directory
#   (getent passwd: what the JVM's user.home is).
# The directory must be absolute: a relative one would name another directory in every working directory.

# laudnet_home: prints the LAUDNet home; on a relative or unknown location prints an error naming the variable and
# its value on stderr and returns 1.
laudnet_home() {
  local dir value account from
  from=$(laudnet_home_source)
  if [[ -n "${LAUDNET_HOME:-}" ]]; then
    value=$LAUDNET_HOME
    dir=$value
  elif [[ -n "${HOME:-}" ]]; then
    value=$HOME
    dir=$value/.laudnet
  else
    account=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)
    if [[ -z "$account" ]]; then
      printf '%s: error: no LAUDNet home: LAUDNET_HOME and HOME are unset and the account has no home directory; set LAUDNET_HOME to an absolute directory\n' "${0##*/}" >&2
      return 1
    fi
    value=$account
    dir=$value/.laudnet
  fi
  if [[ "$dir" != /* ]]; then
    printf "%s: error: %s is a relative path ('%s'); the LAUDNet home must be an absolute directory (set LAUDNET_HOME)\n" \
      "${0##*/}" "$from" "$value" >&2
    return 1
  fi
  printf '%s\n' "$dir"
}

# laudnet_home_source: prints the setting laudnet_home takes the directory from.
laudnet_home_source() {
  if [[ -n "${LAUDNET_HOME:-}" ]]; then
    echo "LAUDNET_HOME"
  elif [[ -n "${HOME:-}" ]]; then
    echo "HOME"
  else
    echo "the account's home directory (getent passwd)"
  fi
}

# laudnet_home_writable DIR: creates DIR if needed and checks that it is writable; on failure prints an error naming
# the directory and the variable that sets it on stderr, and returns 1.
laudnet_home_writable() {
  local dir="$1"
  if ! mkdir -p -- "$dir" 2>/dev/null || [[ ! -d "$dir" || ! -w "$dir" ]]; then
    printf "%s: error: the LAUDNet home '%s' (from %s) cannot be created or is not writable; set LAUDNET_HOME to a writable absolute directory\n" \
      "${0##*/}" "$dir" "$(laudnet_home_source)" >&2
    return 1
  fi
}
