#!/usr/bin/env bash
# Install the real network peers the lab and the integration tests use (Debian packages).
# Idempotent: does nothing when every command is already there. Starts no service.
set -euo pipefail

PACKAGES=(freeradius freeradius-utils freeradius-postgresql netconfd openssh-server)
NEEDED=(freeradius radclient netconfd sshd)
# Assurance and performance peers: trap/inform senders and a real agent to poll (net-snmp),
# a syslog sender and relay, and a real Alertmanager firing webhooks.
PACKAGES+=(snmp snmpd snmptrapd rsyslog bsdutils prometheus-alertmanager)
NEEDED+=(snmptrap snmpinform snmpd snmptrapd rsyslogd logger prometheus-alertmanager amtool)
# Invoice PDFs (WeasyPrint): Pango, HarfBuzz's subsetter (fontTools instead is ~4x slower) and
# the DejaVu fonts the template names.
PACKAGES+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
LIBRARIES=(libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0)
# The console's browser tests: Playwright (a Python dev dependency) drives Debian's Chromium.
PACKAGES+=(chromium)
NEEDED+=(chromium)

missing=0
for command in "${NEEDED[@]}"; do
  if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command" ]; then missing=1; fi
done
if [ ! -e /usr/lib/freeradius/rlm_sql_postgresql.so ]; then missing=1; fi
for library in "${LIBRARIES[@]}"; do
  if ! ldconfig -p | grep -q "$library"; then missing=1; fi
done
if [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then missing=1; fi
[ "$missing" -eq 0 ] && exit 0

echo "install-lab: installing ${PACKAGES[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
# policy-rc.d keeps Debian from starting the daemons on 0.0.0.0; the lab starts its own on loopback.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  "${PACKAGES[@]}" >/dev/null
