/**
 * The receive buffers of another process's sockets, read from the sockets themselves: each socket fd of `pid` is
 * duplicated with pidfd_getfd (root) and asked for SO_RCVBUF (which reports twice the size set). Rows are
 * `family/protocol rcvbuf` (16/0 rtnetlink, 16/11 the process events connector, 2/112 VRRP).
 */
import { execFileSync } from 'node:child_process';

const PY = `import ctypes, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1]); pfd = os.pidfd_open(pid)
for fd in sorted(int(f) for f in os.listdir(f'/proc/{pid}/fd')):
    try:
        if not os.readlink(f'/proc/{pid}/fd/{fd}').startswith('socket:'): continue
    except OSError: continue
    local = libc.syscall(438, pfd, fd, 0)
    if local < 0: continue
    s = socket.socket(fileno=local)
    print(f'{int(s.family)}/{s.proto} {s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)}')
    s.detach(); os.close(local)
`;

/** SO_RCVBUF of every socket of `pid` whose `family/protocol` is `kind` (e.g. '16/0'), sorted. */
export function socketBuffers(pid: number | string, kind: string): number[] {
  return execFileSync('python3', ['-c', PY, String(pid)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .filter((r) => r[0] === kind)
    .map((r) => Number(r[1]))
    .sort((x, y) => x - y);
}
