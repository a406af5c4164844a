/**
 * A connected UDP socket for DNS_CHECK and UDP_CHECK (keepalived layer4.c `socket_bind_connect`/`udp_bind_connect`):
 * bound to `bindto`/`bind_port` when configured, connected to connect_ip:connect_port so that an ICMP error about
 * what we send comes back as a socket error (ECONNREFUSED for port unreachable), as keepalived's IP_RECVERR
 * reading does. `bind_if` and `fwmark` are not applied here: node:dgram cannot set socket options.
 */
import dgram from 'node:dgram';
import type { CheckerConnection } from '../config/model-lvs.js';
import type { ProbeRun } from './probe-run.js';
import { familyOf } from './tcp-connect.js';

/** A ready socket, or why it could not be set up. */
export type UdpConnectResult = { readonly ok: true; readonly socket: dgram.Socket } | { readonly ok: false; readonly error: string };

/** Binds (if configured) and connects a UDP socket; it is closed when `run` ends. */
export function udpConnect(co: CheckerConnection, run: ProbeRun): Promise<UdpConnectResult> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(familyOf(co.connectIp) === 6 ? 'udp6' : 'udp4');
    run.onCleanup(() => {
      try {
        socket.close();
      } catch {
        /* already closed */
      }
    });
    const onSetupError = (e: Error): void => resolve({ ok: false, error: e.message });
    socket.once('error', onSetupError);
    const connect = (): void =>
      socket.connect(co.connectPort, co.connectIp, () => {
        socket.off('error', onSetupError);
        resolve({ ok: true, socket });
      });
    if (co.bindto !== undefined || co.bindPort !== undefined) {
      socket.bind({ port: co.bindPort ?? 0, ...(co.bindto !== undefined ? { address: co.bindto } : {}) }, connect);
    } else {
      connect();
    }
  });
}
