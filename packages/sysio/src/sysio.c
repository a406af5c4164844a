/*
 * sysio: generic Linux socket syscalls and a readiness watcher for Node.js (Node-API).
 *
 * Deliberately protocol-free: VRRP, ARP/NA frames, rtnetlink and genetlink are all encoded in TypeScript.
 * Every fd is created O_NONBLOCK|O_CLOEXEC. Failures throw an Error carrying
 * { code: 'EEXIST', errno: 17, syscall: 'bind' }.
 *
 * The watcher wraps libuv's uv_poll. libuv turns POLLERR into a negative status and stops the handle, which
 * leaves a socket silently deaf (after a link flap on AF_PACKET, or ENOBUFS on netlink). The callback therefore
 * receives the status, and JavaScript re-arms with watchUpdate() after reading SO_ERROR.
 *
 * Besides sockets: the process-scheduling calls keepalived's vrrp_rt_priority / vrrp_rlimit_rttime / vrrp_no_swap
 * need (sched_setscheduler, getrlimit/setrlimit, mlockall/munlockall), and bfd_cpu_affinity / bfd_process_name's
 * (sched_setaffinity, prctl PR_SET_NAME), as plain wrappers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <node_api.h>
#include <uv.h>
#include "common.h"

#define CHECK(env, call)                                                     \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error((env), NULL, "sysio: Node-API call failed: " #call);  \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

/* Errors ----------------------------------------------------------------------------------------------- */

static const char *errno_name(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES)
    E(EFAULT) E(EBUSY) E(EEXIST) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOSPC)
    E(EPIPE) E(ERANGE) E(ENOSYS) E(ENOTSOCK) E(EDESTADDRREQ) E(EMSGSIZE) E(EPROTOTYPE) E(ENOPROTOOPT)
    E(EPROTONOSUPPORT) E(ESOCKTNOSUPPORT) E(EOPNOTSUPP) E(EPFNOSUPPORT) E(EAFNOSUPPORT) E(EADDRINUSE)
    E(EADDRNOTAVAIL) E(ENETDOWN) E(ENETUNREACH) E(ENETRESET) E(ECONNABORTED) E(ECONNRESET) E(ENOBUFS)
    E(EISCONN) E(ENOTCONN) E(ETIMEDOUT) E(ECONNREFUSED) E(EHOSTDOWN) E(EHOSTUNREACH) E(EALREADY)
    E(EINPROGRESS) E(ENOLINK) E(EPROTO) E(EBADMSG) E(EOVERFLOW) E(ERFKILL)
#undef E
    default: return "EUNKNOWN";
  }
}

/* Throws an Error with code/errno/syscall; always returns NULL for convenience. */
static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s (%s)", syscall, errno_name(err), strerror(err));
  napi_value message, error, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "code", v);
  napi_create_int32(env, err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  napi_create_string_utf8(env, "SysError", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "name", v);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* Argument helpers ------------------------------------------------------------------------------------- */

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, size_t *argc) {
  *argc = want;
  return napi_get_cb_info(env, info, argc, argv, NULL, NULL) == napi_ok;
}

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* The first n arguments of a call, all int32 numbers (n <= 4). */
static int int_args(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  napi_value argv[4];
  size_t argc;
  if (n > 4 || !get_args(env, info, n, argv, &argc) || argc < n) return 0;
  for (size_t i = 0; i < n; i++) if (!arg_int(env, argv[i], &out[i])) return 0;
  return 1;
}

/* The first argument of a call as a NUL-terminated UTF-8 string that fits in `size` bytes. */
static int string_arg(napi_env env, napi_callback_info info, char *buf, size_t size) {
  napi_value argv[1];
  size_t argc, l;
  return get_args(env, info, 1, argv, &argc) && argc >= 1 && napi_get_value_string_utf8(env, argv[0], buf, size, &l) == napi_ok;
}

/* Accepts Buffer, Uint8Array or any TypedArray/DataView view of bytes. */
static int arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) == napi_ok && is) return napi_get_buffer_info(env, v, data, len) == napi_ok;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset) != napi_ok) return 0;
    size_t el = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: el = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: el = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: el = 8; break;
      default: el = 1;
    }
    *len = length * el;
    return 1;
  }
  return 0;
}

static napi_value make_int(napi_env env, int64_t x) {
  napi_value v;
  napi_create_int64(env, x, &v);
  return v;
}

static napi_value make_buffer(napi_env env, const void *src, size_t len) {
  napi_value v;
  void *dst;
  if (napi_create_buffer_copy(env, len, src, &dst, &v) != napi_ok) return NULL;
  return v;
}

/* Syscalls --------------------------------------------------------------------------------------------- */

/* socket(family, type, protocol) -> fd; always non-blocking and close-on-exec. */
static napi_value js_socket(napi_env env, napi_callback_info info) {
  int32_t a[3];
  if (!int_args(env, info, 3, a)) return throw_type(env, "socket(family, type, protocol): numbers expected");
  int fd = socket(a[0], a[1] | SOCK_NONBLOCK | SOCK_CLOEXEC, a[2]);
  if (fd < 0) return throw_errno(env, "socket", errno);
  return make_int(env, fd);
}

/* setsockopt(fd, level, name, value): value is an int, a boolean, or raw bytes. */
static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc;
  int32_t fd, level, name;
  if (!get_args(env, info, 4, argv, &argc) || argc < 4 || !arg_int(env, argv[0], &fd) ||
      !arg_int(env, argv[1], &level) || !arg_int(env, argv[2], &name))
    return throw_type(env, "setsockopt(fd, level, name, value)");
  napi_valuetype t;
  napi_typeof(env, argv[3], &t);
  int rc;
  if (t == napi_number || t == napi_boolean) {
    int32_t x = 0;
    if (t == napi_boolean) {
      bool b;
      napi_get_value_bool(env, argv[3], &b);
      x = b;
    } else {
      napi_get_value_int32(env, argv[3], &x);
    }
    int val = x;
    rc = setsockopt(fd, level, name, &val, sizeof val);
  } else {
    void *data;
    size_t len;
    if (!arg_bytes(env, argv[3], &data, &len)) return throw_type(env, "setsockopt: value must be number, boolean or bytes");
    rc = setsockopt(fd, level, name, data, (socklen_t)len);
  }
  if (rc < 0) return throw_errno(env, "setsockopt", errno);
  return NULL;
}

/* getsockopt(fd, level, name[, len]) -> number (no len) or Buffer of len bytes. */
static napi_value js_getsockopt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc;
  int32_t fd, level, name, len = -1;
  if (!get_args(env, info, 4, argv, &argc) || argc < 3 || !arg_int(env, argv[0], &fd) ||
      !arg_int(env, argv[1], &level) || !arg_int(env, argv[2], &name))
    return throw_type(env, "getsockopt(fd, level, name[, len])");
  if (argc >= 4) {
    napi_valuetype t;
    napi_typeof(env, argv[3], &t);
    if (t != napi_undefined && !arg_int(env, argv[3], &len)) return throw_type(env, "getsockopt: len must be a number");
  }
  if (len < 0) {
    int val = 0;
    socklen_t l = sizeof val;
    if (getsockopt(fd, level, name, &val, &l) < 0) return throw_errno(env, "getsockopt", errno);
    return make_int(env, val);
  }
  if (len > 65536) return throw_type(env, "getsockopt: len too large");
  unsigned char *buf = calloc(1, len ? (size_t)len : 1);
  if (!buf) return throw_errno(env, "getsockopt", ENOMEM);
  socklen_t l = (socklen_t)len;
  if (getsockopt(fd, level, name, buf, &l) < 0) {
    int e = errno;
    free(buf);
    return throw_errno(env, "getsockopt", e);
  }
  napi_value out = make_buffer(env, buf, l);
  free(buf);
  return out;
}

/* bind(fd, sockaddr bytes) */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc;
  int32_t fd;
  void *sa;
  size_t len;
  if (!get_args(env, info, 2, argv, &argc) || argc < 2 || !arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &sa, &len))
    return throw_type(env, "bind(fd, sockaddr)");
  if (bind(fd, (struct sockaddr *)sa, (socklen_t)len) < 0) return throw_errno(env, "bind", errno);
  return NULL;
}

/* connect(fd, sockaddr bytes) -> 0, or the errno as a value (EINPROGRESS on a non-blocking stream socket). Never
 * throws for a failing connect: a checker handles every outcome itself. */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc;
  int32_t fd;
  void *sa;
  size_t len;
  if (!get_args(env, info, 2, argv, &argc) || argc < 2 || !arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &sa, &len))
    return throw_type(env, "connect(fd, sockaddr)");
  int rc;
  do {
    rc = connect(fd, (struct sockaddr *)sa, (socklen_t)len);
  } while (rc < 0 && errno == EINTR);
  return make_int(env, rc < 0 ? errno : 0);
}

/* getsockname(fd) -> sockaddr bytes */
static napi_value js_getsockname(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc;
  int32_t fd;
  if (!get_args(env, info, 1, argv, &argc) || argc < 1 || !arg_int(env, argv[0], &fd)) return throw_type(env, "getsockname(fd)");
  struct sockaddr_storage ss;
  socklen_t l = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &l) < 0) return throw_errno(env, "getsockname", errno);
  return make_buffer(env, &ss, l);
}

/* sendto(fd, data[, sockaddr[, flags]]) -> bytes sent, or -1 on EAGAIN */
static napi_value js_sendto(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc;
  int32_t fd, flags = 0;
  void *data, *sa = NULL;
  size_t len, salen = 0;
  if (!get_args(env, info, 4, argv, &argc) || argc < 2 || !arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &data, &len))
    return throw_type(env, "sendto(fd, data[, sockaddr[, flags]])");
  if (argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t != napi_undefined && t != napi_null && !arg_bytes(env, argv[2], &sa, &salen)) return throw_type(env, "sendto: bad sockaddr");
  }
  if (argc >= 4) {
    napi_valuetype t;
    napi_typeof(env, argv[3], &t);
    if (t != napi_undefined && !arg_int(env, argv[3], &flags)) return throw_type(env, "sendto: bad flags");
  }
  ssize_t n;
  do {
    n = sendto(fd, data, len, flags | MSG_NOSIGNAL, (struct sockaddr *)sa, (socklen_t)salen);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return make_int(env, -1);
    return throw_errno(env, "sendto", errno);
  }
  return make_int(env, n);
}

/* sendmmsg(fd, packets[, sockaddr[, flags]]) -> how many were sent (0 when the first would block); one syscall for
 * up to 1024 datagrams to the same address (a batch that stops early reports how far it got). */
static napi_value js_sendmmsg(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc;
  int32_t fd, flags = 0;
  void *sa = NULL;
  size_t salen = 0;
  bool is_array;
  uint32_t n;
  if (!get_args(env, info, 4, argv, &argc) || argc < 2 || !arg_int(env, argv[0], &fd) ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok)
    return throw_type(env, "sendmmsg(fd, packets[, sockaddr[, flags]])");
  if (n > 1024) return throw_type(env, "sendmmsg: at most 1024 packets");
  if (argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t != napi_undefined && t != napi_null && !arg_bytes(env, argv[2], &sa, &salen)) return throw_type(env, "sendmmsg: bad sockaddr");
  }
  if (argc >= 4) {
    napi_valuetype t;
    napi_typeof(env, argv[3], &t);
    if (t != napi_undefined && !arg_int(env, argv[3], &flags)) return throw_type(env, "sendmmsg: bad flags");
  }
  if (n == 0) return make_int(env, 0);
  struct mmsghdr *msgs = calloc(n, sizeof *msgs);
  struct iovec *iovs = calloc(n, sizeof *iovs);
  if (!msgs || !iovs) {
    free(msgs);
    free(iovs);
    return throw_errno(env, "sendmmsg", ENOMEM);
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    void *data;
    size_t len;
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || !arg_bytes(env, el, &data, &len)) {
      free(msgs);
      free(iovs);
      return throw_type(env, "sendmmsg: every packet must be bytes");
    }
    iovs[i].iov_base = data;
    iovs[i].iov_len = len;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = sa;
    msgs[i].msg_hdr.msg_namelen = (socklen_t)salen;
  }
  int sent;
  do {
    sent = sendmmsg(fd, msgs, n, flags | MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  int e = errno;
  free(msgs);
  free(iovs);
  if (sent < 0) {
    if (e == EAGAIN || e == EWOULDBLOCK) return make_int(env, 0);
    return throw_errno(env, "sendmmsg", e);
  }
  return make_int(env, sent);
}

/* recvmsg(fd, maxLen, controlLen[, flags]) -> { data, addr, flags, cmsgs: [{level,type,data}] } | undefined on EAGAIN */
static napi_value js_recvmsg(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc;
  int32_t fd, maxlen, ctllen, flags = 0;
  if (!get_args(env, info, 4, argv, &argc) || argc < 3 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &maxlen) ||
      !arg_int(env, argv[2], &ctllen))
    return throw_type(env, "recvmsg(fd, maxLen, controlLen[, flags])");
  if (argc >= 4) {
    napi_valuetype t;
    napi_typeof(env, argv[3], &t);
    if (t != napi_undefined && !arg_int(env, argv[3], &flags)) return throw_type(env, "recvmsg: bad flags");
  }
  if (maxlen <= 0 || maxlen > (1 << 20) || ctllen < 0 || ctllen > 65536) return throw_type(env, "recvmsg: bad lengths");
  unsigned char *buf = malloc((size_t)maxlen);
  unsigned char *ctl = malloc(ctllen ? (size_t)ctllen : 1);
  if (!buf || !ctl) {
    free(buf);
    free(ctl);
    return throw_errno(env, "recvmsg", ENOMEM);
  }
  struct sockaddr_storage ss;
  struct iovec iov = {buf, (size_t)maxlen};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_name = &ss;
  mh.msg_namelen = sizeof ss;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctllen ? ctl : NULL;
  mh.msg_controllen = (size_t)ctllen;
  ssize_t n;
  do {
    n = recvmsg(fd, &mh, flags | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int e = errno;
    free(buf);
    free(ctl);
    if (e == EAGAIN || e == EWOULDBLOCK) return NULL; /* undefined */
    return throw_errno(env, "recvmsg", e);
  }
  napi_value out, v, arr;
  napi_create_object(env, &out);
  size_t kept = (size_t)n < (size_t)maxlen ? (size_t)n : (size_t)maxlen;
  napi_set_named_property(env, out, "data", make_buffer(env, buf, kept));
  napi_set_named_property(env, out, "length", make_int(env, n));
  napi_set_named_property(env, out, "addr", make_buffer(env, &ss, mh.msg_namelen));
  napi_set_named_property(env, out, "flags", make_int(env, mh.msg_flags));
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    napi_value o;
    napi_create_object(env, &o);
    napi_set_named_property(env, o, "level", make_int(env, c->cmsg_level));
    napi_set_named_property(env, o, "type", make_int(env, c->cmsg_type));
    size_t dl = c->cmsg_len - CMSG_LEN(0);
    napi_set_named_property(env, o, "data", make_buffer(env, CMSG_DATA(c), dl));
    napi_set_element(env, arr, i++, o);
  }
  napi_set_named_property(env, out, "cmsgs", arr);
  (void)v;
  free(buf);
  free(ctl);
  return out;
}

/* Largest batch recvmmsgInto() reads in one call. */
#define RECV_BATCH_MAX 64
/* Bytes reserved per datagram for its sockaddr (sizeof(struct sockaddr_storage)). */
#define RECV_ADDR_SLOT 128

/*
 * recvmmsgInto(fd, data, slotLength, addrs, control, controlLength, meta) -> count (0 when nothing is queued).
 * recvmmsg(2) without blocking, into memory the caller owns and reuses: nothing is allocated per datagram.
 * Datagram i lands in data[i*slotLength ...], its sockaddr in addrs[i*128 ...], its control messages in
 * control[i*controlLength ...]; meta[4i .. 4i+3] = bytes received, sockaddr length, control length, msg_flags
 * (MSG_TRUNC when the datagram was longer than slotLength, MSG_CTRUNC when its control messages did not fit). At most meta.length / 4 (≤ 64) datagrams, also bounded by
 * the sizes of data, addrs and control. Fewer than asked means the queue was empty when the call returned.
 */
static napi_value js_recvmmsg_into(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t argc, data_len, addr_len, ctl_len, meta_bytes;
  int32_t fd, slot, ctlslot;
  void *data, *addrs, *ctl, *meta;
  if (!get_args(env, info, 7, argv, &argc) || argc < 7 || !arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &data, &data_len) ||
      !arg_int(env, argv[2], &slot) || !arg_bytes(env, argv[3], &addrs, &addr_len) || !arg_bytes(env, argv[4], &ctl, &ctl_len) ||
      !arg_int(env, argv[5], &ctlslot) || !arg_bytes(env, argv[6], &meta, &meta_bytes))
    return throw_type(env, "recvmmsgInto(fd, data, slotLength, addrs, control, controlLength, meta)");
  if (slot <= 0 || ctlslot < 0 || ((uintptr_t)meta % sizeof(int32_t)) != 0) return throw_type(env, "recvmmsgInto: bad lengths");
  size_t n = meta_bytes / (4 * sizeof(int32_t));
  if (n > RECV_BATCH_MAX) n = RECV_BATCH_MAX;
  if (n > data_len / (size_t)slot) n = data_len / (size_t)slot;
  if (n > addr_len / RECV_ADDR_SLOT) n = addr_len / RECV_ADDR_SLOT;
  if (ctlslot > 0 && n > ctl_len / (size_t)ctlslot) n = ctl_len / (size_t)ctlslot;
  if (n == 0) return throw_type(env, "recvmmsgInto: no room for one datagram");
  struct mmsghdr msgs[RECV_BATCH_MAX];
  struct iovec iovs[RECV_BATCH_MAX];
  memset(msgs, 0, n * sizeof *msgs);
  for (size_t i = 0; i < n; i++) {
    iovs[i].iov_base = (unsigned char *)data + i * (size_t)slot;
    iovs[i].iov_len = (size_t)slot;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = (unsigned char *)addrs + i * RECV_ADDR_SLOT;
    msgs[i].msg_hdr.msg_namelen = RECV_ADDR_SLOT;
    msgs[i].msg_hdr.msg_control = ctlslot ? (unsigned char *)ctl + i * (size_t)ctlslot : NULL;
    msgs[i].msg_hdr.msg_controllen = (size_t)ctlslot;
  }
  int got;
  do {
    got = recvmmsg(fd, msgs, (unsigned)n, MSG_DONTWAIT, NULL);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return make_int(env, 0);
    return throw_errno(env, "recvmmsg", errno);
  }
  int32_t *m = meta;
  for (int i = 0; i < got; i++) {
    m[4 * i] = (int32_t)msgs[i].msg_len;
    m[4 * i + 1] = (int32_t)msgs[i].msg_hdr.msg_namelen;
    m[4 * i + 2] = (int32_t)msgs[i].msg_hdr.msg_controllen;
    m[4 * i + 3] = msgs[i].msg_hdr.msg_flags;
  }
  return make_int(env, got);
}

/* close(fd) */
static napi_value js_close(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_args(env, info, 1, &fd)) return throw_type(env, "close(fd)");
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return NULL;
}

/* ifNameToIndex(name) -> index (throws ENODEV when missing) */
static napi_value js_if_nametoindex(napi_env env, napi_callback_info info) {
  char name[IF_NAMESIZE + 1];
  if (!string_arg(env, info, name, sizeof name)) return throw_type(env, "ifNameToIndex(name)");
  unsigned idx = if_nametoindex(name);
  if (idx == 0) return throw_errno(env, "if_nametoindex", errno ? errno : ENODEV);
  return make_int(env, idx);
}

/* ifIndexToName(index) -> name */
static napi_value js_if_indextoname(napi_env env, napi_callback_info info) {
  int32_t idx;
  if (!int_args(env, info, 1, &idx)) return throw_type(env, "ifIndexToName(index)");
  char name[IF_NAMESIZE];
  if (!if_indextoname((unsigned)idx, name)) return throw_errno(env, "if_indextoname", errno);
  napi_value v;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  return v;
}

/* setns(fd, nstype): moves the calling (JS) thread only; sockets keep the namespace they were created in. */
static napi_value js_setns(napi_env env, napi_callback_info info) {
  int32_t a[2];
  if (!int_args(env, info, 2, a)) return throw_type(env, "setns(fd, nstype)");
  if (setns(a[0], a[1]) < 0) return throw_errno(env, "setns", errno);
  return NULL;
}

/* openPath(path) -> fd (O_RDONLY|O_CLOEXEC), for namespace files like /proc/self/ns/net */
static napi_value js_open_ro(napi_env env, napi_callback_info info) {
  char path[4096];
  if (!string_arg(env, info, path, sizeof path)) return throw_type(env, "openReadOnly(path)");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open", errno);
  return make_int(env, fd);
}

/* cloexecFrom(minFd) -> how many descriptors were changed: every open descriptor >= minFd becomes close-on-exec, so
 * nothing a process inherited (Node's IPC channel, a readiness pipe, whatever the caller left open) reaches a program
 * it executes later. */
static napi_value js_cloexec_from(napi_env env, napi_callback_info info) {
  int32_t min;
  if (!int_args(env, info, 1, &min)) return throw_type(env, "cloexecFrom(minFd)");
  DIR *d = opendir("/proc/self/fd");
  if (!d) return throw_errno(env, "opendir", errno);
  int own = dirfd(d), changed = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end || end == e->d_name || fd < min || fd == own) continue;
    int fl = fcntl((int)fd, F_GETFD);
    if (fl < 0 || (fl & FD_CLOEXEC)) continue;
    if (fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC) == 0) changed++;
  }
  closedir(d);
  return make_int(env, changed);
}

/* Scheduling, limits, memory locking ------------------------------------------------------------------- */

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* schedSetScheduler(tid, policy, priority, resetOnFork): sched_setscheduler(2) on one thread (0 = the caller). */
static napi_value js_sched_setscheduler(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc;
  int32_t tid, policy, prio;
  bool reset = false;
  if (!get_args(env, info, 4, argv, &argc) || argc < 3 || !arg_int(env, argv[0], &tid) || !arg_int(env, argv[1], &policy) ||
      !arg_int(env, argv[2], &prio) || (argc >= 4 && napi_get_value_bool(env, argv[3], &reset) != napi_ok))
    return throw_type(env, "schedSetScheduler(tid, policy, priority[, resetOnFork])");
  struct sched_param sp = {.sched_priority = prio};
  if (sched_setscheduler(tid, policy | (reset ? SCHED_RESET_ON_FORK : 0), &sp) < 0)
    return throw_errno(env, "sched_setscheduler", errno);
  return NULL;
}

/* schedSetAffinity(tid, cpus): sched_setaffinity(2) on one thread (0 = the caller) to the listed CPU numbers. */
static napi_value js_sched_setaffinity(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc;
  int32_t tid;
  bool is_array = false;
  if (!get_args(env, info, 2, argv, &argc) || argc < 2 || !arg_int(env, argv[0], &tid) ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array)
    return throw_type(env, "schedSetAffinity(tid, cpus)");
  uint32_t n = 0;
  CHECK(env, napi_get_array_length(env, argv[1], &n));
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int32_t cpu;
    CHECK(env, napi_get_element(env, argv[1], i, &v));
    if (!arg_int(env, v, &cpu) || cpu < 0 || cpu >= CPU_SETSIZE) return throw_type(env, "schedSetAffinity: CPU numbers 0..1023");
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(tid, sizeof set, &set) < 0) return throw_errno(env, "sched_setaffinity", errno);
  return NULL;
}

/* setThreadName(name): prctl(PR_SET_NAME) on the calling thread (the process name `ps` and /proc/PID/comm show). */
static napi_value js_set_thread_name(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc, len = 0;
  char name[16];
  if (!get_args(env, info, 1, argv, &argc) || argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return throw_type(env, "setThreadName(name)");
  if (prctl(PR_SET_NAME, name, 0, 0, 0) < 0) return throw_errno(env, "prctl", errno);
  return NULL;
}

/* schedGetScheduler(tid) -> policy, with the SCHED_RESET_ON_FORK bit when it is set. */
static napi_value js_sched_getscheduler(napi_env env, napi_callback_info info) {
  int32_t tid;
  if (!int_args(env, info, 1, &tid)) return throw_type(env, "schedGetScheduler(tid)");
  int policy = sched_getscheduler(tid);
  if (policy < 0) return throw_errno(env, "sched_getscheduler", errno);
  return make_int(env, policy);
}

/* An rlimit value as a JS number: RLIM_INFINITY is Infinity. */
static napi_value make_rlim(napi_env env, rlim_t r) {
  napi_value v;
  napi_create_double(env, r == RLIM_INFINITY ? INFINITY : (double)r, &v);
  return v;
}

static int arg_rlim(napi_env env, napi_value v, rlim_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || isnan(d) || d < 0) return 0;
  *out = d >= 18446744073709551615.0 ? RLIM_INFINITY : (rlim_t)d;
  return 1;
}

/* getRlimit(resource) -> { soft, hard } */
static napi_value js_getrlimit(napi_env env, napi_callback_info info) {
  napi_value out;
  int32_t res;
  if (!int_args(env, info, 1, &res)) return throw_type(env, "getRlimit(resource)");
  struct rlimit rl;
  if (getrlimit(res, &rl) < 0) return throw_errno(env, "getrlimit", errno);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "soft", make_rlim(env, rl.rlim_cur));
  napi_set_named_property(env, out, "hard", make_rlim(env, rl.rlim_max));
  return out;
}

/* setRlimit(resource, soft, hard): Infinity means RLIM_INFINITY. */
static napi_value js_setrlimit(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc;
  int32_t res;
  struct rlimit rl;
  if (!get_args(env, info, 3, argv, &argc) || argc < 3 || !arg_int(env, argv[0], &res) || !arg_rlim(env, argv[1], &rl.rlim_cur) ||
      !arg_rlim(env, argv[2], &rl.rlim_max))
    return throw_type(env, "setRlimit(resource, soft, hard): non-negative numbers expected");
  if (setrlimit(res, &rl) < 0) return throw_errno(env, "setrlimit", errno);
  return NULL;
}

/* mlockall(flags) */
static napi_value js_mlockall(napi_env env, napi_callback_info info) {
  int32_t flags;
  if (!int_args(env, info, 1, &flags)) return throw_type(env, "mlockall(flags)");
  if (mlockall(flags) < 0) return throw_errno(env, "mlockall", errno);
  return NULL;
}

/* munlockall() */
static napi_value js_munlockall(napi_env env, napi_callback_info info) {
  if (munlockall() < 0) return throw_errno(env, "munlockall", errno);
  return NULL;
}

/* Readiness watcher ------------------------------------------------------------------------------------ */

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  int closed;    /* unwatch() ran (or the finalizer): no more callbacks, handle closing */
  int uv_done;   /* libuv finished closing the handle */
  int finalized; /* the JS external is gone */
} watch_t;

/* The record is freed when both libuv and the JS external are done with it. */
static void on_closed(uv_handle_t *h) {
  watch_t *w = h->data;
  w->uv_done = 1;
  if (w->finalized) free(w);
}

static void close_watch(napi_env env, watch_t *w) {
  if (w->closed) return;
  w->closed = 1;
  uv_poll_stop(&w->poll);
  napi_delete_reference(env, w->cb);
  napi_async_destroy(env, w->actx);
  uv_close((uv_handle_t *)&w->poll, on_closed);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  watch_t *w = p->data;
  if (w->closed) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, argv[2], result;
  if (napi_get_reference_value(env, w->cb, &cb) == napi_ok && cb) {
    napi_get_global(env, &global);
    napi_create_int32(env, status, &argv[0]);
    napi_create_int32(env, events, &argv[1]);
    /* make_callback (not call_function) so that nextTicks and promises drain after the callback. */
    napi_status st = napi_make_callback(env, w->actx, global, cb, 2, argv, &result);
    if (st == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void watch_finalize(napi_env env, void *data, void *hint) {
  watch_t *w = data;
  w->finalized = 1;
  if (!w->closed) close_watch(env, w);
  else if (w->uv_done) free(w);
}

/* watch(fd, events, cb(status, events)) -> handle (external). events: 1 = readable, 2 = writable. */
static napi_value js_watch(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc;
  int32_t fd, events;
  if (!get_args(env, info, 3, argv, &argc) || argc < 3 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[1], &events))
    return throw_type(env, "watch(fd, events, callback)");
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  if (t != napi_function) return throw_type(env, "watch: callback must be a function");
  uv_loop_t *loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  watch_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "watch", ENOMEM);
  int rc = uv_poll_init_socket(loop, &w->poll, fd);
  if (rc < 0) {
    free(w);
    return throw_errno(env, "uv_poll_init", -rc);
  }
  w->poll.data = w;
  w->env = env;
  napi_value name;
  napi_create_string_utf8(env, "sysio.watch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->actx);
  napi_create_reference(env, argv[2], 1, &w->cb);
  if (events) {
    rc = uv_poll_start(&w->poll, events, on_poll);
    if (rc < 0) {
      w->finalized = 1; /* no external will ever point at it */
      close_watch(env, w);
      return throw_errno(env, "uv_poll_start", -rc);
    }
  }
  napi_value ext;
  CHECK(env, napi_create_external(env, w, watch_finalize, NULL, &ext));
  return ext;
}

static watch_t *get_watch(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

/* watchUpdate(handle, events): 0 pauses; any other value (re)starts — also after an error stopped the poll. */
static napi_value js_watch_update(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc;
  int32_t events;
  if (!get_args(env, info, 2, argv, &argc) || argc < 2 || !arg_int(env, argv[1], &events)) return throw_type(env, "watchUpdate(w, events)");
  watch_t *w = get_watch(env, argv[0]);
  if (!w || w->closed) return throw_type(env, "watchUpdate: not an open watcher");
  int rc = events ? uv_poll_start(&w->poll, events, on_poll) : uv_poll_stop(&w->poll);
  if (rc < 0) return throw_errno(env, "uv_poll_start", -rc);
  return NULL;
}

/* watchRef(handle, ref): whether the watcher keeps the event loop alive. */
static napi_value js_watch_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc;
  bool ref;
  if (!get_args(env, info, 2, argv, &argc) || argc < 2 || napi_get_value_bool(env, argv[1], &ref) != napi_ok)
    return throw_type(env, "watchRef(w, ref)");
  watch_t *w = get_watch(env, argv[0]);
  if (!w || w->closed) return throw_type(env, "watchRef: not an open watcher");
  if (ref) uv_ref((uv_handle_t *)&w->poll);
  else uv_unref((uv_handle_t *)&w->poll);
  return NULL;
}

/* unwatch(handle): stops and releases the watcher. Must run before close(fd). Idempotent. */
static napi_value js_unwatch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc;
  if (!get_args(env, info, 1, argv, &argc) || argc < 1) return throw_type(env, "unwatch(w)");
  watch_t *w = get_watch(env, argv[0]);
  if (!w) return throw_type(env, "unwatch: not a watcher");
  close_watch(env, w);
  return NULL;
}

/* Constants -------------------------------------------------------------------------------------------- */

#include "constants.h"

static napi_value make_constants(napi_env env) {
  napi_value obj;
  napi_create_object(env, &obj);
  for (size_t i = 0; i < sizeof sysio_constants / sizeof sysio_constants[0]; i++)
    napi_set_named_property(env, obj, sysio_constants[i].name, make_int(env, sysio_constants[i].value));
  napi_object_freeze(env, obj);
  return obj;
}

/* Module ----------------------------------------------------------------------------------------------- */

void sysio_canary_init(napi_env env, napi_value exports);
void sysio_watchdog_init(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  static const sysio_fn_t fns[] = {
    {"socket", js_socket},
    {"setsockopt", js_setsockopt},
    {"getsockopt", js_getsockopt},
    {"bind", js_bind},
    {"connect", js_connect},
    {"getsockname", js_getsockname},
    {"sendto", js_sendto},
    {"sendmmsg", js_sendmmsg},
    {"recvmsg", js_recvmsg},
    {"recvmmsgInto", js_recvmmsg_into},
    {"close", js_close},
    {"ifNameToIndex", js_if_nametoindex},
    {"ifIndexToName", js_if_indextoname},
    {"setns", js_setns},
    {"cloexecFrom", js_cloexec_from},
    {"openReadOnly", js_open_ro},
    {"watch", js_watch},
    {"watchUpdate", js_watch_update},
    {"watchRef", js_watch_ref},
    {"unwatch", js_unwatch},
    {"schedSetScheduler", js_sched_setscheduler},
    {"schedSetAffinity", js_sched_setaffinity},
    {"setThreadName", js_set_thread_name},
    {"schedGetScheduler", js_sched_getscheduler},
    {"getRlimit", js_getrlimit},
    {"setRlimit", js_setrlimit},
    {"mlockall", js_mlockall},
    {"munlockall", js_munlockall},
  };
  SYSIO_EXPORT(env, exports, fns);
  napi_set_named_property(env, exports, "constants", make_constants(env));
  sysio_canary_init(env, exports);
  sysio_watchdog_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
