/**
 * The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC: fork, exec, comm, exit), the socket
 * keepalived's track_process listens on (core/track_process.c). Its receive buffer is global_defs'
 * `process_monitor_rcv_bufs` (SO_RCVBUF, or SO_RCVBUFFORCE with `process_monitor_rcv_bufs_force`), set before it
 * starts listening, as keepalived's init_track_processes does. Every datagram is one event; the process trackers
 * (src/track/proc-scan.ts) take any event as a cue to rescan /proc at once instead of at their next poll.
 */
import { encodeMessage } from './netlink/codec.js';
import { sockaddrNl } from './sockaddr.js';
import { Socket, type SocketProblem } from './socket.js';
import { K, sysio } from './sysio.js';

const NETLINK_CONNECTOR = 11;
const CN_IDX_PROC = 1;
const CN_VAL_PROC = 1;
const NLMSG_DONE = 3;
const PROC_CN_MCAST_LISTEN = 1;

/** The message that subscribes to process events: a cn_msg (idx, val, seq, ack, len 4, flags) and the op. */
export function listenRequest(seq: number, pid: number): Buffer {
  const cn = Buffer.alloc(20 + 4);
  cn.writeUInt32LE(CN_IDX_PROC, 0);
  cn.writeUInt32LE(CN_VAL_PROC, 4);
  cn.writeUInt32LE(seq >>> 0, 8);
  cn.writeUInt32LE(0, 12);
  cn.writeUInt16LE(4, 16);
  cn.writeUInt16LE(0, 18);
  cn.writeUInt32LE(PROC_CN_MCAST_LISTEN, 20);
  return encodeMessage(NLMSG_DONE, 0, seq, pid, cn);
}

/** SO_RCVBUF (or SO_RCVBUFFORCE) bytes for the connector socket; undefined: the kernel's default. */
export interface ProcConnectorBuffer {
  readonly bytes: number;
  readonly force: boolean;
}

/** An open process-events socket. Root only (CAP_NET_ADMIN); close() when done. */
export class ProcConnector {
  private constructor(private readonly sock: Socket) {}

  /**
   * Opens, sizes, binds and subscribes. `onEvent` is called (at most once per readable batch) when events arrived.
   * Throws a SocketProblem-carrying error when the kernel refuses (no connector, not root).
   */
  static open(onEvent: () => void, onProblem: (p: SocketProblem) => void, buffer?: ProcConnectorBuffer): ProcConnector {
    let fresh = false;
    const sock = Socket.open(
      K.AF_NETLINK as number,
      K.SOCK_DGRAM as number,
      NETLINK_CONNECTOR,
      {
        maxLength: 4096,
        controlLength: 0,
        onMessage: () => {
          if (fresh) return;
          fresh = true;
          queueMicrotask(() => {
            fresh = false;
            onEvent();
          });
        },
        onError: onProblem,
      },
      (fd) => {
        if (buffer) sysio.setsockopt(fd, K.SOL_SOCKET as number, (buffer.force ? K.SO_RCVBUFFORCE : K.SO_RCVBUF) as number, buffer.bytes);
        sysio.bind(fd, sockaddrNl(0, CN_IDX_PROC));
        sysio.sendto(fd, listenRequest(1, 0), sockaddrNl(0, 0));
      },
    );
    sock.ref(false); // the trackers' poll timer keeps the process alive, not this socket
    return new ProcConnector(sock);
  }

  /** Closes the socket (the kernel stops sending to it). */
  close(): void {
    this.sock.close();
  }
}
