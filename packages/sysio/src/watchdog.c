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
 * Threads: one per CPU the process may use, each pinned to its CPU, so that a stopped vCPU (whose timers do not
 * fire) cannot stop them all. They start with the first armed record, wait on a condition variable with a
 * CLOCK_MONOTONIC timeout (no CPU used while nothing is due; parked without timeout while nothing is armed) and
 * stop when the object is closed. Each takes the scheduling policy of the thread that started them (the VRRP
 * child runs SCHED_RR with SCHED_RESET_ON_FORK, which new threads would not otherwise inherit). They sleep between
 * sends, so they add nothing to RLIMIT_RTTIME (CPU time without blocking).
 *
 * Exactly one thread sends per due deadline: it claims it with a compare-and-swap of the deadline itself. The
 * send happens under the record's own mutex, which disarm also takes after clearing `armed`: when disarm returns,
 * no send is in flight and none can start (the sender re-checks `armed` under the mutex). Kicks touch only atomics.
 */
#include <errno.h>
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
  atomic_uint_fast64_t sent;   /* native sends (one per due deadline, all datagrams) */
  atomic_uint_fast64_t errors; /* datagrams that failed to leave */
  pthread_mutex_t send_mu;     /* held while sending, and while the datagrams change */
  int fd;                      /* dup of the caller's socket: never a recycled descriptor */
  int n;
  wd_datagram_t dg[WD_MAX_DATAGRAMS];
} wd_record_t;

typedef struct wd wd_t;

typedef struct {
  wd_t *wd;
  int cpu;
  pthread_t th;
} wd_thread_t;

struct wd {
  pthread_mutex_t mu; /* records array, thread start/stop */
  pthread_cond_t cv;  /* signalled when a record is armed, or on close */
  wd_record_t **records;
  int nrecords, cap;
  int nthreads;
  int stopping;
  int closed;
  int policy; /* scheduling of the thread that started the threads */
  struct sched_param param;
  wd_thread_t threads[WD_MAX_CPUS];
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

static void *wd_main(void *p) {
  wd_thread_t *t = p;
  wd_t *wd = t->wd;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(t->cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  pthread_setname_np(pthread_self(), "advert-wd"); /* as /proc/PID/task/TID/comm shows it */
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
      if (atomic_compare_exchange_strong(&r->deadline_ns, &d, d + atomic_load(&r->interval_ns))) {
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
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof allowed, &allowed);
  for (int cpu = 0; cpu < CPU_SETSIZE && wd->nthreads < WD_MAX_CPUS; cpu++) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    wd_thread_t *t = &wd->threads[wd->nthreads];
    t->wd = wd;
    t->cpu = cpu;
    if (pthread_create(&t->th, NULL, wd_main, t) == 0) wd->nthreads++;
  }
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
  for (int i = 0; i < wd->nthreads; i++) pthread_join(wd->threads[i].th, NULL);
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

/* The watchdog (argv[0]) and record (argv[1]) of a call with at least `want` arguments. */
static wd_record_t *get_record(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  int32_t id;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return NULL;
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

/* watchdogCreate() -> watchdog (external). No thread runs until a record is armed. */
static napi_value js_create(napi_env env, napi_callback_info info) {
  wd_t *wd = calloc(1, sizeof *wd);
  napi_value ext;
  if (!wd) return throw_type(env, "watchdogCreate: out of memory");
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
  wd_record_t *r = get_record(env, info, 5, argv);
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

/*
 * watchdogKick(wd, id, intervalMs, slackMs, holdMs) -> native sends so far: arms the record (threads start on the
 * first arm) with deadline = now + interval + slack; native sends stop hold ms from now until the next kick.
 */
static napi_value js_kick(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  wd_record_t *r = get_record(env, info, 5, argv);
  double interval, slack, hold;
  if (!r || napi_get_value_double(env, argv[2], &interval) != napi_ok || napi_get_value_double(env, argv[3], &slack) != napi_ok ||
      napi_get_value_double(env, argv[4], &hold) != napi_ok || !(interval >= 1) || !(slack >= 0) || !(hold >= 0))
    return throw_type(env, "watchdogKick(wd, id, intervalMs >= 1, slackMs >= 0, holdMs >= 0)");
  int64_t now = now_ns(), ns = (int64_t)(interval * 1e6);
  /* threads that may not be waiting for this deadline: the record was past its hold (ignored by them), or its
   * interval shrinks (they wait for the old, later deadline) */
  int wake = atomic_load(&r->deadline_ns) > atomic_load(&r->hold_ns) || ns < atomic_load(&r->interval_ns);
  atomic_store(&r->interval_ns, ns);
  atomic_store(&r->hold_ns, now + (int64_t)(hold * 1e6));
  atomic_store(&r->deadline_ns, now + (int64_t)((interval + slack) * 1e6));
  if (!atomic_exchange(&r->armed, 1) || wake) {
    /* newly armed (or see above): make sure the threads run and see its deadline */
    wd_t *wd = get_wd(env, argv[0]);
    pthread_mutex_lock(&wd->mu);
    start_threads(wd);
    pthread_cond_broadcast(&wd->cv);
    pthread_mutex_unlock(&wd->mu);
  }
  napi_value out;
  napi_create_double(env, (double)atomic_load(&r->sent), &out);
  return out;
}

/* watchdogDisarm(wd, id): when it returns, no native send of this record is in flight and none will start. */
static napi_value js_disarm(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  wd_record_t *r = get_record(env, info, 2, argv);
  if (!r) return throw_type(env, "watchdogDisarm(wd, id)");
  disarm(r);
  return NULL;
}

/* watchdogStats(wd, id) -> { sent, errors, armed }: native sends so far (cumulative), failed datagrams. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[2], out, v;
  wd_record_t *r = get_record(env, info, 2, argv);
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
  napi_property_descriptor props[] = {
    {"watchdogCreate", NULL, js_create, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchdogAdd", NULL, js_add, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchdogSet", NULL, js_set, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchdogKick", NULL, js_kick, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchdogDisarm", NULL, js_disarm, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchdogStats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchdogThreads", NULL, js_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"watchdogClose", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
