#!/usr/bin/env bash
# Captures golden VRRP (auth_type AH too) / GARP / NA vectors from the real keepalived 2.2.7 (/usr/sbin/keepalived).
#
#   sudo scripts/capture-vectors.sh [OUTDIR]      (default OUTDIR: test/vectors)
#
# Topology: two network namespaces joined by one veth pair.
#   A (keepalived, vethA 192.0.2.1/24, 2001:db8::1/64 nodad)  <->  B (tcpdump, vethB 192.0.2.2/24, 2001:db8::2/64)
# keepalived runs in A with one config holding every case as its own vrrp_instance (distinct VRIDs), becomes
# MASTER for all of them, then gets SIGTERM (priority-0 adverts). tcpdump in B writes a pcap; an inline node
# script picks one frame per case and writes OUTDIR/<case>.hex (hex of the IP packet for VRRP, of the whole
# Ethernet frame for GARP/NA) and OUTDIR/<case>.json (the fields expected from the configuration, NOT from our
# decoder, plus the checksum and IP ID as seen on the wire).
# Only 192.0.2.0/24 and 2001:db8::/64 are used. Everything is cleaned up on every exit path.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=capture-lib.sh
. "$ROOT/scripts/capture-lib.sh"
OUT=${1:-$ROOT/test/vectors}
NSA="kvc$$a"
NSB="kvc$$b"
WORK=$(mktemp -d /tmp/kts-capture.XXXXXX)
KA_PID=""
TD_PID=""

cleanup() {
  set +e
  [ -n "$PAUSE_PID" ] && kill "$PAUSE_PID" 2>/dev/null
  if [ -n "$KA_PID" ] && kill -TERM "$KA_PID" 2>/dev/null; then
    for _ in $(seq 1 30); do kill -0 "$KA_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$KA_PID" 2>/dev/null
  fi
  [ -n "$TD_PID" ] && kill -TERM "$TD_PID" 2>/dev/null && wait "$TD_PID" 2>/dev/null
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$WORK"
}
trap_cleanup
require_root capture-vectors

add_namespaces
ip link add vethA netns "$NSA" type veth peer name vethB netns "$NSB"
ip -n "$NSA" link set vethA address 02:00:00:00:00:0a
ip -n "$NSB" link set vethB address 02:00:00:00:00:0b
ip -n "$NSA" addr add 192.0.2.1/24 dev vethA
ip -n "$NSB" addr add 192.0.2.2/24 dev vethB
ip -n "$NSA" addr add 2001:db8::1/64 dev vethA nodad
ip -n "$NSB" addr add 2001:db8::2/64 dev vethB nodad
ip -n "$NSA" link set vethA up
ip -n "$NSB" link set vethB up
pause 1

cat >"$WORK/keepalived.conf" <<'EOF'
global_defs {
  router_id kts_capture
  vrrp_garp_master_delay 1
  vrrp_garp_master_repeat 1
}
vrrp_instance V2PASS {
  state MASTER
  interface vethA
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  virtual_ipaddress {
    192.0.2.100/24
    192.0.2.101/24
  }
}
vrrp_instance V2NONE {
  state MASTER
  interface vethA
  virtual_router_id 52
  priority 100
  advert_int 2
  virtual_ipaddress {
    192.0.2.102/24
  }
}
vrrp_instance V3V4 {
  version 3
  state MASTER
  interface vethA
  virtual_router_id 53
  priority 120
  advert_int 0.5
  virtual_ipaddress {
    192.0.2.103/24
  }
}
vrrp_instance V3V6 {
  version 3
  state MASTER
  interface vethA
  virtual_router_id 54
  priority 110
  advert_int 1
  virtual_ipaddress {
    2001:db8::100/64
    2001:db8::101/64
  }
}
vrrp_instance V3MULTI {
  version 3
  state MASTER
  interface vethA
  virtual_router_id 55
  priority 200
  advert_int 0.8
  virtual_ipaddress {
    192.0.2.110/24
    192.0.2.111/24
    192.0.2.112/24
    192.0.2.113/24
    192.0.2.114/24
  }
}
vrrp_instance V2MULTI {
  state MASTER
  interface vethA
  virtual_router_id 56
  priority 90
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass pw
  }
  virtual_ipaddress {
    192.0.2.120/24
    192.0.2.121/24
    192.0.2.122/24
  }
}
vrrp_instance V3UNI {
  version 3
  state MASTER
  interface vethA
  virtual_router_id 57
  priority 130
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.130/24
  }
}
vrrp_instance V3UNIOLD {
  version 3
  state MASTER
  interface vethA
  virtual_router_id 58
  priority 140
  advert_int 1
  old_unicast_checksum
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.140/24
  }
}
vrrp_instance AHMCAST {
  state BACKUP
  interface vethA
  virtual_router_id 61
  priority 150
  advert_int 1
  authentication {
    auth_type AH
    auth_pass secret12
  }
  virtual_ipaddress {
    192.0.2.160/24
    192.0.2.161/24
  }
}
vrrp_instance AHUNI {
  state BACKUP
  interface vethA
  virtual_router_id 62
  priority 120
  advert_int 1
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  authentication {
    auth_type AH
    auth_pass pw
  }
  virtual_ipaddress {
    192.0.2.162/24
  }
}
EOF

mkdir -p "$WORK/tmp"
ip netns exec "$NSB" tcpdump -i vethB -U -n -s 0 -w "$WORK/cap.pcap" 2>"$WORK/tcpdump.log" &
TD_PID=$!
pause 1
ip netns exec "$NSA" env TMPDIR="$WORK/tmp" /usr/sbin/keepalived -P -n -l -D -f "$WORK/keepalived.conf" \
  -p "$WORK/ka.pid" -r "$WORK/ka-vrrp.pid" -c "$WORK/ka-check.pid" >"$WORK/keepalived.log" 2>&1 &
KA_PID=$!
# Master_Down_Interval for priority 100, advert_int 2 is 6.6 s; wait for every instance to be MASTER and advertise.
pause 9
kill -TERM "$KA_PID"
for _ in $(seq 1 50); do kill -0 "$KA_PID" 2>/dev/null || break; sleep 0.1; done
KA_PID=""
pause 0.5
kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null || true
TD_PID=""
echo "--- keepalived log (excerpt)"; grep -E 'Entering MASTER|AH|sent 0 priority|Stopped' "$WORK/keepalived.log" || true

mkdir -p "$OUT"
rm -f "$OUT"/v2-*.hex "$OUT"/v2-*.json "$OUT"/v3-*.hex "$OUT"/v3-*.json "$OUT"/garp-*.hex "$OUT"/garp-*.json "$OUT"/una-*.hex "$OUT"/una-*.json \
  "$OUT"/ah-*.hex "$OUT"/ah-*.json
node - "$WORK/cap.pcap" "$OUT" <<'EOF'
const fs = require('node:fs');
const [pcapPath, out] = process.argv.slice(2);
const buf = fs.readFileSync(pcapPath);
if (buf.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('unexpected pcap magic');
if (buf.readUInt32LE(20) !== 1) throw new Error('unexpected link type');
const frames = [];
for (let off = 24; off + 16 <= buf.length;) {
  const len = buf.readUInt32LE(off + 8);
  frames.push(buf.subarray(off + 16, off + 16 + len));
  off += 16 + len;
}
const ip4 = (b, o) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
const net = require('node:net');
const ip6 = (b, o) => {
  const g = []; for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(o + 2 * i).toString(16));
  const sock = new net.SocketAddress({ address: g.join(':'), family: 'ipv6' });
  return sock.address;
};
const hex = (b) => b.toString('hex').replace(/(.{64})/g, '$1\n').trim() + '\n';
const cases = {
  51: { name: 'v2-pass', version: 2, family: 4, priority: 150, addresses: ['192.0.2.100', '192.0.2.101'], advertIntervalCs: 100, authType: 1, password: 'secret12', dst: '224.0.0.18' },
  52: { name: 'v2-noauth', version: 2, family: 4, priority: 100, addresses: ['192.0.2.102'], advertIntervalCs: 200, authType: 0, password: '', dst: '224.0.0.18' },
  53: { name: 'v3-ipv4', version: 3, family: 4, priority: 120, addresses: ['192.0.2.103'], advertIntervalCs: 50, authType: 0, dst: '224.0.0.18' },
  54: { name: 'v3-ipv6', version: 3, family: 6, priority: 110, addresses: ['2001:db8::100', '2001:db8::101'], advertIntervalCs: 100, authType: 0, dst: 'ff02::12' },
  55: { name: 'v3-multi-vip', version: 3, family: 4, priority: 200, addresses: ['192.0.2.110', '192.0.2.111', '192.0.2.112', '192.0.2.113', '192.0.2.114'], advertIntervalCs: 80, authType: 0, dst: '224.0.0.18' },
  56: { name: 'v2-multi-vip-pass', version: 2, family: 4, priority: 90, addresses: ['192.0.2.120', '192.0.2.121', '192.0.2.122'], advertIntervalCs: 100, authType: 1, password: 'pw', dst: '224.0.0.18' },
  57: { name: 'v3-unicast', version: 3, family: 4, priority: 130, addresses: ['192.0.2.130'], advertIntervalCs: 100, authType: 0, dst: '192.0.2.2', checksum4: 'rfc' },
  58: { name: 'v3-unicast-old-checksum', version: 3, family: 4, priority: 140, addresses: ['192.0.2.140'], advertIntervalCs: 100, authType: 0, dst: '192.0.2.2', checksum4: 'mcast-group' },
};
// auth_type AH (keepalived starts these BACKUP and takes over after Master_Down_Interval): IPv4 protocol 51
const ahCases = {
  61: { name: 'ah-v2', priority: 150, addresses: ['192.0.2.160', '192.0.2.161'], password: 'secret12', dst: '224.0.0.18', unicast: false },
  62: { name: 'ah-v2-unicast', priority: 120, addresses: ['192.0.2.162'], password: 'pw', dst: '192.0.2.2', unicast: true },
};
const seen = new Set();
let garp = false, una = false;
function ahCase(p) {
  const ihl = (p[0] & 15) * 4;
  const pkt = p.subarray(0, p.readUInt16BE(2));
  const v = pkt.subarray(ihl + 24);
  const c = ahCases[v[1]];
  if (!c) return;
  const zero = v[2] === 0;
  const key = `ah${v[1]}/${zero}`;
  if (seen.has(key)) return;
  seen.add(key);
  const name = zero ? `${c.name}-prio0` : c.name;
  if (ip4(pkt, 16) !== c.dst) throw new Error(`${name}: destination ${ip4(pkt, 16)}, expected ${c.dst}`);
  writeCase(name, pkt, {
    description: `keepalived 2.2.7 IPsec-AH advert, VRID ${v[1]}${zero ? ' (priority 0 on SIGTERM)' : ''}; hex = whole IPv4 packet`,
    ahOffset: ihl,
    vrrpOffset: ihl + 24,
    password: c.password,
    unicast: c.unicast,
    ip: { source: ip4(pkt, 12), destination: c.dst, ttl: pkt[8], tos: pkt[1], ipId: pkt.readUInt16BE(4), ipChecksum: pkt.readUInt16BE(10) },
    ah: { nextHeader: pkt[ihl], payloadLength: pkt[ihl + 1], spi: ip4(pkt, ihl + 4), sequence: pkt.readUInt32BE(ihl + 8), icv: pkt.subarray(ihl + 12, ihl + 24).toString('hex') },
    advert: {
      version: 2, type: 1, vrid: v[1], priority: zero ? 0 : c.priority, family: 4, addresses: c.addresses,
      advertIntervalCs: 100, authType: 2, authData: '0000000000000000', checksum: v.readUInt16BE(6),
    },
  });
}
function writeCase(name, bytes, json) {
  fs.writeFileSync(`${out}/${name}.hex`, hex(bytes));
  fs.writeFileSync(`${out}/${name}.json`, JSON.stringify(json, null, 2) + '\n');
  console.log(`wrote ${name}`);
}
for (const f of frames) {
  const etype = f.readUInt16BE(12);
  const p = f.subarray(14);
  if (etype === 0x0806 && !garp && p.readUInt16BE(6) === 1) {
    garp = true;
    writeCase('garp-v2-pass', f, {
      description: `gratuitous ARP request sent by keepalived 2.2.7 for VIP ${ip4(p, 24)} on becoming MASTER (whole Ethernet frame)`,
      ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: '02:00:00:00:00:0a', ethertype: 0x0806, op: 1,
      senderMac: '02:00:00:00:00:0a', senderIp: ip4(p, 14), targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: ip4(p, 24),
      length: f.length,
    });
    continue;
  }
  if (etype === 0x86dd && p[6] === 58 && p[40] === 136 && !una) {
    una = true;
    writeCase('una-v3-ipv6', f, {
      description: `unsolicited neighbour advertisement sent by keepalived 2.2.7 for VIP ${ip6(p, 48)} on becoming MASTER (whole Ethernet frame)`,
      ethDst: f.subarray(0, 6).toString('hex').replace(/(..)(?!$)/g, '$1:'), ethSrc: '02:00:00:00:00:0a', ethertype: 0x86dd,
      ipSrc: ip6(p, 8), ipDst: ip6(p, 24), hopLimit: p[7], icmpType: 136, flags: p[44], target: ip6(p, 48),
      tllaOption: p.subarray(64).toString('hex'), length: f.length,
    });
    continue;
  }
  if (etype === 0x0800 && p[9] === 51) {
    ahCase(p);
    continue;
  }
  let ipLen, vrrpOff, src, dst, ttl, pkt, extra = {};
  if (etype === 0x0800 && p[9] === 112) {
    ipLen = p.readUInt16BE(2); pkt = p.subarray(0, ipLen); vrrpOff = (p[0] & 15) * 4;
    src = ip4(p, 12); dst = ip4(p, 16); ttl = p[8];
    extra = { tos: p[1], ipId: p.readUInt16BE(4), ipChecksum: p.readUInt16BE(10) };
  } else if (etype === 0x86dd && p[6] === 112) {
    ipLen = 40 + p.readUInt16BE(4); pkt = p.subarray(0, ipLen); vrrpOff = 40;
    src = ip6(p, 8); dst = ip6(p, 24); ttl = p[7];
  } else continue;
  const v = pkt.subarray(vrrpOff);
  const c = cases[v[1]];
  if (!c) continue;
  const zero = v[2] === 0;
  const key = `${v[1]}/${zero}`;
  if (seen.has(key)) continue;
  seen.add(key);
  const name = zero ? `${c.name}-prio0` : c.name;
  const json = {
    description: `keepalived 2.2.7 advert, VRID ${v[1]}${zero ? ' (priority 0 on SIGTERM)' : ''}; hex = whole IP packet`,
    vrrpOffset: vrrpOff,
    ...(c.checksum4 ? { checksum4: c.checksum4 } : {}),
    ip: { source: src, destination: c.dst, ttl, ...extra },
    advert: {
      version: c.version, type: 1, vrid: v[1], priority: zero ? 0 : c.priority, family: c.family,
      addresses: c.addresses, advertIntervalCs: c.advertIntervalCs, authType: c.authType,
      ...(c.version === 2 && c.family === 4 ? { authData: Buffer.concat([Buffer.from(c.password), Buffer.alloc(8)]).subarray(0, 8).toString('hex') } : {}),
      checksum: v.readUInt16BE(6),
    },
  };
  if (dst !== c.dst) throw new Error(`${name}: destination ${dst}, expected ${c.dst}`);
  writeCase(name, pkt, json);
}
const want = [...Object.values(cases), ...Object.values(ahCases)].flatMap((c) => [c.name, `${c.name}-prio0`]);
const missing = want.filter((n) => !fs.existsSync(`${out}/${n}.hex`));
if (!garp || !una || missing.length) {
  console.error(`missing: ${[...missing, ...(garp ? [] : ['garp']), ...(una ? [] : ['una'])].join(', ')}`);
  process.exit(1);
}
EOF
echo "vectors written to $OUT"
