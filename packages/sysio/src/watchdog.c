/*
 * Advert watchdog: a sender that does not depend on the JavaScript thread, nor on one CPU.
 *
 * A watchdog object (one per owner: nothing here is global, two daemons may share a process) holds records. A
 * record is a set of prepared datagrams (one socket, one destination and the bytes for each) plus an interval and
 * a deadline. JavaScript sends each datagram itself and then "kicks" the record: deadline = now + interval + slack.
 * When JavaScript is late (a garbage collection, a long reload, its vCPU stopped by the hypervisor), a native
 * thread finds the deadline passed, sends the prepared bytes and moves the deadline on by one interval, for at
 * most `hold` ms after the last kick: a JavaScript thread that never comes back must not be covered forever (a
 * hung daemon has to lose mastership, as a hung keepalived would).
 *
 * Two ways to use a record. Kick (VRRP adverts): JavaScript sends, then kicks; native periods are exactly the
 * interval, keeping the cadence. Claim (BFD Control packets, RFC 5880 section 6.8.7: every interval between two
 * packets inside [75 %, 100 %] of the negotiated one): before each periodic send JavaScript claims the deadline; if
 * a thread took it first (JavaScript was late), JavaScript does not send, and the threads' next deadline is booked
 * for it with a grace: the first side to reach it sends. Native periods of such a record are jittered and counted
 * from the native send itself, so no two packets come closer than the lowest period.
 *
 * Threads (common.c): one per CPU the process may use, each pinned to its CPU, so that a stopped vCPU (whose timers do not
 * fire) cannot stop them all. They start with the first armed record, wait on a condition variable with a
 * CLOCK_MONOTONIC timeout (no CPU used while nothing is due; parked without timeout while nothing is armed) and
 * stop when the object is closed. Each takes the scheduling policy of the thread that started them (the VRRP
 * child runs SCHED_RR with SCHED_RESET_ON_FORK, which new threads would not otherwise inherit), at one real-time
 * priority above it: the JavaScript thread is late mostly because a thread of the same priority holds its CPU (V8's
 * helpers, real-time too, compile or collect for tens of milliseconds, and SCHED_RR gives equals 100 ms slices), and
 * the fallback must not wait behind the same thread (src/daemon/priorities.ts watchdogPriority). They sleep between
 * sends, so they add nothing to RLIMIT_RTTIME (CPU time without blocking).
 *
 * Exactly one thread sends per due deadline: it claims it with a compare-and-swap of the deadline itself. The
 * send happens under the record's own mutex, which disarm also takes after clearing `armed`: when disarm returns,
 * no send is in flight and none can start (the sender re-checks `armed` under the mutex). Kicks touch only atomics.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>
#include "common.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

#define WD_MAX_CPUS 256
#define WD_MAX_DATAGRAMS 64
#define WD_MAX_BYTES 65536
#define WD_MAX_SOCKADDR 128

typedef struct {
  unsigned char *bytes;
  size_t len;
  unsigned char sa[WD_MAX_SOCKADDR];
  socklen_t salen;
} wd_datagram_t;

typedef struct {
  atomic_int armed;
  atomic_int_fast64_t deadline_ns; /* CLOCK_MONOTONIC */
  atomic_int_fast64_t hold_ns;     /* no native send after this (CLOCK_MONOTONIC) */
  atomic_int_fast64_t interval_ns;
  atomic_int_fast64_t jitter_ppm; /* 0: periods of exactly interval; else interval × (1 − jitter × U[0,1)) from the send */
  int_fast64_t expected;          /* the deadline as JavaScript last set or saw it (JavaScript thread only) */
  atomic_uint_fast64_t sent;   /* native sends (one per due deadline, all datagrams) */
  atomic_uint_fast64_t errors; /* datagrams that failed to leave */
  pthread_mutex_t send_mu;     /* held while sending, and while the datagrams change */
  int fd;                      /* dup of the caller's socket: never a recycled descriptor */
  int n;
  wd_datagram_t dg[WD_MAX_DATAGRAMS];
} wd_record_t;

typedef struct wd wd_t;

struct wd {
  pthread_mutex_t mu; /* records array, thread start/stop */
  pthread_cond_t cv;  /* signalled when a record is armed, or on close */
  wd_record_t **records;
  int nrecords, cap;
  int nthreads;
  int stopping;
  int closed;
  int policy; /* scheduling of the thread that started the threads */
  char name[16]; /* the threads' name (comm) */
  struct sched_param param;
  sysio_pinned_t threads[WD_MAX_CPUS];
};

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Sends a record's datagrams, unless it was disarmed meanwhile. Called by the thread that claimed the deadline. */
static void send_record(wd_record_t *r) {
  pthread_mutex_lock(&r->send_mu);
  if (atomic_load(&r->armed)) {
    for (int i = 0; i < r->n; i++) {
      ssize_t k;
      do {
        k = sendto(r->fd, r->dg[i].bytes, r->dg[i].len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)r->dg[i].sa, r->dg[i].salen);
      } while (k < 0 && errno == EINTR);
      if (k < 0) atomic_fetch_add(&r->errors, 1);
    }
    atomic_fetch_add(&r->sent, 1);
  }
  pthread_mutex_unlock(&r->send_mu);
}

/* A per-thread xorshift64 step: uniform in [0, 1). */
static double uniform(uint64_t *s) {
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return (double)(x >> 11) / 9007199254740992.0;
}

/*
 * The deadline after one due at `d`, claimed at `now`: d + interval for a record without jitter (the cadence is
 * kept), else a jittered period counted from the send itself (so no two sends come closer than the lowest period).
 */
static int_fast64_t next_deadline(wd_record_t *r, int_fast64_t d, int64_t now, uint64_t *rng) {
  int_fast64_t interval = atomic_load(&r->interval_ns), ppm = atomic_load(&r->jitter_ppm);
  if (ppm <= 0) return d + interval;
  return (d > now ? d : now) + (int_fast64_t)((double)interval * (1.0 - (double)ppm / 1e6 * uniform(rng)));
}

static void *wd_main(void *p) {
  const sysio_pinned_t *t = p;
  wd_t *wd = t->ctx;
  uint64_t rng = (uint64_t)now_ns() ^ ((uint64_t)(t->cpu + 1) << 40) ^ (uint64_t)(uintptr_t)t;
  if (!rng) rng = 0x9e3779b97f4a7c15ULL;
  if (wd->policy != SCHED_OTHER) pthread_setschedparam(pthread_self(), wd->policy, &wd->param);
  pthread_mutex_lock(&wd->mu);
  while (!wd->stopping) {
    int64_t now = now_ns(), next = INT64_MAX;
    wd_record_t *due = NULL;
    for (int i = 0; i < wd->nrecords; i++) {
      wd_record_t *r = wd->records[i];
      if (!atomic_load(&r->armed)) continue;
      int_fast64_t d = atomic_load(&r->deadline_ns);
      if (d > atomic_load(&r->hold_ns)) continue; /* past the hold: JavaScript must come back first */
      if (d > now) {
        if (d < next) next = d;
        continue;
      }
      /* due: claim it (another thread, or a kick, may have moved it meanwhile) */
      if (atomic_compare_exchange_strong(&r->deadline_ns, &d, next_deadline(r, d, now, &rng))) {
        due = r;
        break;
      }
    }
    if (due) {
      pthread_mutex_unlock(&wd->mu);
      send_record(due); /* records are freed only when the object closes, after the threads are joined */
      pthread_mutex_lock(&wd->mu);
      continue;
    }
    if (next == INT64_MAX) {
      pthread_cond_wait(&wd->cv, &wd->mu);
    } else {
      struct timespec abs = {next / 1000000000LL, next % 1000000000LL};
      pthread_cond_timedwait(&wd->cv, &wd->mu, &abs);
    }
  }
  pthread_mutex_unlock(&wd->mu);
  return NULL;
}

/* Starts the threads (with wd->mu held), once: one per CPU in the caller's affinity mask. */
static void start_threads(wd_t *wd) {
  if (wd->nthreads) return;
  int policy = sched_getscheduler(0);
  wd->policy = policy < 0 ? SCHED_OTHER : policy & ~SCHED_RESET_ON_FORK;
  if (sched_getparam(0, &wd->param) != 0) wd->policy = SCHED_OTHER;
  /* one real-time priority above the caller (see the file comment) */
  if (wd->policy != SCHED_OTHER && wd->param.sched_priority < sched_get_priority_max(wd->policy)) wd->param.sched_priority++;
  wd->nthreads = sysio_pinned_start(wd->threads, WD_MAX_CPUS, wd_main, wd, wd->name);
}

static void free_datagrams(wd_record_t *r) {
  for (int i = 0; i < r->n; i++) free(r->dg[i].bytes);
  r->n = 0;
}

/* Disarms (see the file comment: synchronous with an in-flight send). */
static void disarm(wd_record_t *r) {
  atomic_store(&r->armed, 0);
  pthread_mutex_lock(&r->send_mu);
  pthread_mutex_unlock(&r->send_mu);
}

/* Stops and joins the threads, frees every record. Idempotent. */
static void wd_close(wd_t *wd) {
  if (wd->closed) return;
  wd->closed = 1;
  for (int i = 0; i < wd->nrecords; i++) disarm(wd->records[i]);
  pthread_mutex_lock(&wd->mu);
  wd->stopping = 1;
  pthread_cond_broadcast(&wd->cv);
  pthread_mutex_unlock(&wd->mu);
  sysio_pinned_join(wd->threads, wd->nthreads);
  wd->nthreads = 0;
  for (int i = 0; i < wd->nrecords; i++) {
    wd_record_t *r = wd->records[i];
    free_datagrams(r);
    if (r->fd >= 0) close(r->fd);
    pthread_mutex_destroy(&r->send_mu);
    free(r);
  }
  free(wd->records);
  wd->records = NULL;
  wd->nrecords = wd->cap = 0;
}

static void wd_finalize(napi_env env, void *data, void *hint) {
  wd_t *wd = data;
  wd_close(wd);
  pthread_cond_destroy(&wd->cv);
  pthread_mutex_destroy(&wd->mu);
  free(wd);
}

/* JavaScript glue ----------------------------------------------------------------------------------------- */

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static wd_t *get_wd(napi_env env, napi_value v) {
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  wd_t *wd = p;
  return wd && !wd->closed ? wd : NULL;
}

/* The open watchdog that is a call's only argument (NULL after throwing a TypeError naming `call`). */
static wd_t *wd_arg(napi_env env, napi_callback_info info, const char *call) {
  size_t argc = 1;
  napi_value argv[1];
  wd_t *wd = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1) wd = get_wd(env, argv[0]);
  if (!wd) throw_type(env, call);
  return wd;
}

/*
 * The watchdog (argv[0]) and record (argv[1]) of a call with at least `min` arguments; argv has room for `cap`
 * (arguments not given read as undefined).
 */
static wd_record_t *get_record(napi_env env, napi_callback_info info, size_t min, size_t cap, napi_value *argv) {
  size_t argc = cap;
  int32_t id;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < min) return NULL;
  wd_t *wd = get_wd(env, argv[0]);
  if (!wd || napi_get_value_int32(env, argv[1], &id) != napi_ok || id < 0 || id >= wd->nrecords) return NULL;
  return wd->records[id];
}

static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) == napi_ok && is) return napi_get_buffer_info(env, v, data, len) == napi_ok;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok) return 0;
  return type == napi_uint8_array || type == napi_int8_array || type == napi_uint8_clamped_array;
}

/* watchdogCreate([name]) -> watchdog (external); its threads are named `name` (default advert-wd, at most 15
 * bytes kept). No thread runs until a record is armed. */
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], ext;
  napi_valuetype t = napi_undefined;
  char name[16] = "advert-wd";
  size_t got;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1 && napi_typeof(env, argv[0], &t) == napi_ok &&
      t != napi_undefined && napi_get_value_string_utf8(env, argv[0], name, sizeof name, &got) != napi_ok)
    return throw_type(env, "watchdogCreate([name]): a string");
  wd_t *wd = calloc(1, sizeof *wd);
  if (!wd) return throw_type(env, "watchdogCreate: out of memory");
  memcpy(wd->name, name, sizeof name);
  pthread_mutex_init(&wd->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&wd->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (napi_create_external(env, wd, wd_finalize, NULL, &ext) != napi_ok) {
    wd_finalize(env, wd, NULL);
    return throw_type(env, "watchdogCreate: cannot create the handle");
  }
  return ext;
}

/* watchdogAdd(wd) -> record id (disarmed). */
static napi_value js_add(napi_env env, napi_callback_info info) {
  napi_value out;
  wd_t *wd = wd_arg(env, info, "watchdogAdd(wd): an open watchdog");
  if (!wd) return NULL;
  wd_record_t *r = calloc(1, sizeof *r);
  if (!r) return throw_type(env, "watchdogAdd: out of memory");
  r->fd = -1;
  pthread_mutex_init(&r->send_mu, NULL);
  pthread_mutex_lock(&wd->mu);
  if (wd->nrecords == wd->cap) {
    int cap = wd->cap ? wd->cap * 2 : 8;
    wd_record_t **a = realloc(wd->records, (size_t)cap * sizeof *a);
    if (!a) {
      pthread_mutex_unlock(&wd->mu);
      pthread_mutex_destroy(&r->send_mu);
      free(r);
      return throw_type(env, "watchdogAdd: out of memory");
    }
    wd->records = a;
    wd->cap = cap;
  }
  wd->records[wd->nrecords] = r;
  napi_create_int32(env, wd->nrecords++, &out);
  pthread_mutex_unlock(&wd->mu);
  return out;
}

/*
 * watchdogSet(wd, id, fd, packets, sockaddrs): the record's datagrams (packets[i] to sockaddrs[i], on a dup of fd).
 * Replaces the previous ones; the record's arming is unchanged.
 */
static napi_value js_set(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  wd_record_t *r = get_record(env, info, 5, 5, argv);
  int32_t fd;
  uint32_t n, ns;
  bool a1 = false, a2 = false;
  if (!r || napi_get_value_int32(env, argv[2], &fd) != napi_ok || napi_is_array(env, argv[3], &a1) != napi_ok || !a1 ||
      napi_is_array(env, argv[4], &a2) != napi_ok || !a2 || napi_get_array_length(env, argv[3], &n) != napi_ok ||
      napi_get_array_length(env, argv[4], &ns) != napi_ok || n != ns || n > WD_MAX_DATAGRAMS)
    return throw_type(env, "watchdogSet(wd, id, fd, packets, sockaddrs): as many packets as sockaddrs (at most 64)");
  wd_datagram_t dg[WD_MAX_DATAGRAMS];
  uint32_t made = 0;
  const char *bad = NULL;
  for (; made < n && !bad; made++) {
    napi_value p, s;
    void *pd, *sd;
    size_t pl, sl;
    if (napi_get_element(env, argv[3], made, &p) != napi_ok || napi_get_element(env, argv[4], made, &s) != napi_ok ||
        !get_bytes(env, p, &pd, &pl) || !get_bytes(env, s, &sd, &sl) || pl > WD_MAX_BYTES || sl > WD_MAX_SOCKADDR) {
      bad = "watchdogSet: packets and sockaddrs must be bytes (at most 65536 and 128)";
      break;
    }
    dg[made].bytes = malloc(pl ? pl : 1);
    if (!dg[made].bytes) {
      bad = "watchdogSet: out of memory";
      break;
    }
    memcpy(dg[made].bytes, pd, pl);
    dg[made].len = pl;
    memcpy(dg[made].sa, sd, sl);
    dg[made].salen = (socklen_t)sl;
  }
  if (bad) {
    for (uint32_t i = 0; i < made; i++) free(dg[i].bytes);
    return throw_type(env, bad);
  }
  int nfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
  if (fd >= 0 && nfd < 0) {
    for (uint32_t i = 0; i < made; i++) free(dg[i].bytes);
    return throw_type(env, "watchdogSet: cannot dup the socket");
  }
  pthread_mutex_lock(&r->send_mu);
  free_datagrams(r);
  int old = r->fd;
  r->fd = nfd;
  memcpy(r->dg, dg, made * sizeof dg[0]);
  r->n = (int)made;
  pthread_mutex_unlock(&r->send_mu);
  if (old >= 0) close(old);
  return NULL;
}

/* A record's timing, from a kick or a claim (ns). */
typedef struct {
  int64_t interval, due, hold, jitter_ppm, grace;
} wd_timing_t;

/* An optional number argument: `dflt` when undefined; 0 when not a number (then *ok = 0). */
static double opt_double(napi_env env, napi_value v, double dflt, int *ok) {
  napi_valuetype t;
  double x = dflt;
  if (napi_typeof(env, v, &t) != napi_ok) *ok = 0;
  else if (t != napi_undefined && napi_get_value_double(env, v, &x) != napi_ok) *ok = 0;
  return x;
}

/* argv[2..6]: intervalMs >= 1, slackMs >= -intervalMs, holdMs >= 0, jitter in [0, 1) (optional), graceMs >= 0 (optional). */
static int get_timing(napi_env env, napi_value *argv, wd_timing_t *t) {
  int ok = 1;
  double interval = opt_double(env, argv[2], NAN, &ok), slack = opt_double(env, argv[3], NAN, &ok);
  double hold = opt_double(env, argv[4], NAN, &ok), jitter = opt_double(env, argv[5], 0, &ok), grace = opt_double(env, argv[6], 0, &ok);
  if (!ok || !(interval >= 1) || !(slack >= -interval) || !(hold >= 0) || !(jitter >= 0 && jitter < 1) || !(grace >= 0)) return 0;
  t->interval = (int64_t)(interval * 1e6);
  t->due = (int64_t)((interval + slack) * 1e6);
  t->hold = (int64_t)(hold * 1e6);
  t->jitter_ppm = (int64_t)(jitter * 1e6);
  t->grace = (int64_t)(grace * 1e6);
  return 1;
}

/* Makes sure the threads run and look at the deadlines again (with the record's new deadline among them). */
static void wake_threads(wd_t *wd) {
  pthread_mutex_lock(&wd->mu);
  start_threads(wd);
  pthread_cond_broadcast(&wd->cv);
  pthread_mutex_unlock(&wd->mu);
}

/*
 * Stores a record's timing after its deadline became `deadline` (replacing `old`, the deadline before, under
 * `old_hold`); arms it. True when the threads must be woken: newly armed, the record was past its hold (ignored by
 * them) or is newly inside it, or its deadline moved earlier (they may sleep until the old one). The deadline is
 * stored before the hold, so a record past its hold cannot be claimed at its stale deadline in between.
 */
static int settle(wd_record_t *r, int_fast64_t old, int_fast64_t old_hold, int_fast64_t deadline, int64_t now, const wd_timing_t *t) {
  atomic_store(&r->interval_ns, t->interval);
  atomic_store(&r->jitter_ppm, t->jitter_ppm);
  atomic_store(&r->hold_ns, now + t->hold);
  r->expected = deadline;
  int newly = !atomic_exchange(&r->armed, 1);
  return newly || old > old_hold || deadline > old_hold || deadline < old;
}

/* The record and timing of a kick or claim (argv: room for 7), or NULL after throwing `usage`. */
static wd_record_t *timed_record(napi_env env, napi_callback_info info, size_t min, napi_value *argv, wd_timing_t *t, const char *usage) {
  wd_record_t *r = get_record(env, info, min, 7, argv);
  if (r && get_timing(env, argv, t)) return r;
  throw_type(env, usage);
  return NULL;
}

/*
 * watchdogKick(wd, id, intervalMs, slackMs, holdMs[, jitter]) -> native sends so far: the event loop has just sent;
 * arms the record (threads start on the first arm) with deadline = now + interval + slack; native sends stop hold
 * ms from now until the next kick. Native periods: interval, or with jitter j, interval × (1 − j × U[0,1)) counted
 * from each native send.
 */
static napi_value js_kick(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  wd_timing_t t;
  wd_record_t *r = timed_record(env, info, 5, argv, &t, "watchdogKick(wd, id, intervalMs >= 1, slackMs >= -intervalMs, holdMs >= 0[, 0 <= jitter < 1])");
  if (!r) return NULL;
  int64_t now = now_ns();
  int_fast64_t old_hold = atomic_load(&r->hold_ns), d = now + t.due;
  int_fast64_t old = atomic_exchange(&r->deadline_ns, d);
  if (settle(r, old, old_hold, d, now, &t)) wake_threads(get_wd(env, argv[0]));
  napi_value out;
  napi_create_double(env, (double)atomic_load(&r->sent), &out);
  return out;
}

/*
 * watchdogClaim(wd, id, intervalMs, slackMs, holdMs, jitter, graceMs) -> -1 or ms: the event loop is about to send
 * the record's next datagram itself, unless the native side already covers it.
 * - -1: no native send since the event loop last kicked or claimed (or the record is disarmed, or stopped at its
 *   hold): the send is the event loop's; the record is armed as by watchdogKick with these arguments.
 * - ms >= 0: native sends took over (the event loop was late): the event loop must not send now. The native
 *   side's next deadline, ms from now, is booked for the event loop (moved grace ms later: the native side sends
 *   then only if the event loop has not claimed it by then); interval, jitter and hold take the new values.
 * Either way the hold counts from now. Every decision is a compare-and-swap on the deadline the threads claim with,
 * so exactly one side sends per deadline.
 */
static napi_value js_claim(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  wd_timing_t t;
  wd_record_t *r =
    timed_record(env, info, 7, argv, &t, "watchdogClaim(wd, id, intervalMs >= 1, slackMs >= -intervalMs, holdMs >= 0, 0 <= jitter < 1, graceMs >= 0)");
  if (!r) return NULL;
  int64_t now = now_ns();
  int_fast64_t old_hold = atomic_load(&r->hold_ns), nd = now + t.due;
  double wait = -1;
  int_fast64_t old, d;
  for (;;) {
    old = atomic_load(&r->deadline_ns);
    if (!atomic_load(&r->armed) || old > old_hold || old == r->expected) {
      /* the event loop's send: no thread claims a deadline past the hold or of a disarmed record, so a plain
       * store is safe there; otherwise the swap fails if a thread claimed `old` meanwhile */
      if (old > old_hold || !atomic_load(&r->armed)) atomic_store(&r->deadline_ns, nd);
      else if (!atomic_compare_exchange_strong(&r->deadline_ns, &old, nd)) continue;
      d = nd;
      break;
    }
    /* a native send took `expected`: book the native side's next deadline for the event loop */
    d = old + t.grace;
    if (!atomic_compare_exchange_strong(&r->deadline_ns, &old, d)) continue;
    wait = old > now ? (double)(old - now) / 1e6 : 0;
    break;
  }
  if (settle(r, old, old_hold, d, now, &t)) wake_threads(get_wd(env, argv[0]));
  napi_value out;
  napi_create_double(env, wait, &out);
  return out;
}

/* watchdogDisarm(wd, id): when it returns, no native send of this record is in flight and none will start. */
static napi_value js_disarm(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  wd_record_t *r = get_record(env, info, 2, 2, argv);
  if (!r) return throw_type(env, "watchdogDisarm(wd, id)");
  disarm(r);
  return NULL;
}

/* watchdogStats(wd, id) -> { sent, errors, armed }: native sends so far (cumulative), failed datagrams. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[2], out, v;
  wd_record_t *r = get_record(env, info, 2, 2, argv);
  if (!r) return throw_type(env, "watchdogStats(wd, id)");
  napi_create_object(env, &out);
  napi_create_double(env, (double)atomic_load(&r->sent), &v);
  napi_set_named_property(env, out, "sent", v);
  napi_create_double(env, (double)atomic_load(&r->errors), &v);
  napi_set_named_property(env, out, "errors", v);
  napi_get_boolean(env, atomic_load(&r->armed) != 0, &v);
  napi_set_named_property(env, out, "armed", v);
  return out;
}

/* watchdogThreads(wd) -> how many native threads run (0 until the first arm). */
static napi_value js_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  wd_t *wd = wd_arg(env, info, "watchdogThreads(wd): an open watchdog");
  if (!wd) return NULL;
  pthread_mutex_lock(&wd->mu);
  napi_create_int32(env, wd->nthreads, &out);
  pthread_mutex_unlock(&wd->mu);
  return out;
}

/* watchdogClose(wd): disarms every record, stops and joins the threads, closes the dup'd sockets. Idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok || !p)
    return throw_type(env, "watchdogClose(wd)");
  wd_close(p);
  return NULL;
}

/* Adds the watchdog functions to `exports`. */
void sysio_watchdog_init(napi_env env, napi_value exports) {
  static const sysio_fn_t fns[] = {
    {"watchdogCreate", js_create},
    {"watchdogAdd", js_add},
    {"watchdogSet", js_set},
    {"watchdogKick", js_kick},
    {"watchdogClaim", js_claim},
    {"watchdogDisarm", js_disarm},
    {"watchdogStats", js_stats},
    {"watchdogThreads", js_threads},
    {"watchdogClose", js_close},
  };
  SYSIO_EXPORT(env, exports, fns);
}
