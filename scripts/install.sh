#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: the real workload binaries the local model
# runtime supervises (prometheus, promtool, prometheus-alertmanager, nginx), what its pods are made
# with (iproute2, util-linux's unshare/nsenter, bubblewrap, a C compiler for the hook-tool client,
# python3 as in a charm base image), and the npm packages from the lockfile; with --tests also
# Debian's chromium, which the end-to-end tests drive (playwright-core downloads no browser).
# Idempotent: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v nginx >/dev/null 2>&1 || need+=(nginx)
# PyYAML stands in for Juju's YAML 1.1 parser in the relation-set encoding test.
python3 -c 'import yaml' >/dev/null 2>&1 || need+=(python3-yaml)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
# A charm base image has python3 (Python charms, and the tests' checks from inside a pod).
[ -x /usr/bin/python3 ] || need+=(python3)
if [ "${1:-}" = "--tests" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
