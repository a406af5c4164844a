/*
 * Stall canary (benchmarks only): one thread per online CPU, pinned to it, SCHED_FIFO at a given priority,
 * sleeping 1 ms at a time on CLOCK_MONOTONIC and recording every wake-up that came later than a threshold.
 * At a real-time priority above every other thread, a late wake-up means the CPU ran nothing at all: on a
 * virtual machine, the host did not run that vCPU (or interrupts were off that long). Stalls are kept in a ring
 * (oldest dropped first) with their CLOCK_REALTIME start, so they can be laid next to tcpdump timestamps.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>
#include "common.h"

#define CANARY_MAX_CPUS 256
#define CANARY_RING 65536
#define SLEEP_NS 1000000L

typedef struct {
  int cpu;
  double start_ms; /* CLOCK_REALTIME, ms since the epoch: when the thread went to sleep */
  double dur_ms;   /* how much later than 1 ms it woke up */
} stall_t;

static struct {
  atomic_int run;
  int n;
  int priority; /* SCHED_FIFO priority of the threads (0: left as they start) */
  double threshold_ms;
  sysio_pinned_t threads[CANARY_MAX_CPUS];
  pthread_mutex_t mu;
  stall_t *ring;
  size_t head, count, lost;
  unsigned long long wakeups;
  int rt_failed;
} C = {.mu = PTHREAD_MUTEX_INITIALIZER};

static double ts_ms(const struct timespec *t) { return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6; }

static void record(int cpu, double start_ms, double dur_ms) {
  pthread_mutex_lock(&C.mu);
  size_t i = (C.head + C.count) % CANARY_RING;
  if (C.count == CANARY_RING) {
    C.head = (C.head + 1) % CANARY_RING;
    C.lost++;
  } else
    C.count++;
  C.ring[i] = (stall_t){cpu, start_ms, dur_ms};
  pthread_mutex_unlock(&C.mu);
}

static void *canary_main(void *p) {
  const sysio_pinned_t *a = p;
  struct sched_param sp = {.sched_priority = C.priority};
  if (C.priority > 0 && pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0) {
    pthread_mutex_lock(&C.mu);
    C.rt_failed++;
    pthread_mutex_unlock(&C.mu);
  }
  const struct timespec d = {0, SLEEP_NS};
  while (atomic_load(&C.run)) {
    struct timespec m0, m1, r0;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    clock_gettime(CLOCK_REALTIME, &r0);
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL) == EINTR) {
    }
    clock_gettime(CLOCK_MONOTONIC, &m1);
    double late = ts_ms(&m1) - ts_ms(&m0) - SLEEP_NS / 1e6;
    pthread_mutex_lock(&C.mu);
    C.wakeups++;
    pthread_mutex_unlock(&C.mu);
    if (late >= C.threshold_ms) record(a->cpu, ts_ms(&r0), late);
  }
  return NULL;
}

/* stallCanaryStart(thresholdMs, priority) -> number of threads (one per online CPU the process may use). */
static napi_value js_canary_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  double thr = 0;
  int32_t prio = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_double(env, argv[0], &thr) != napi_ok || napi_get_value_int32(env, argv[1], &prio) != napi_ok) {
    napi_throw_type_error(env, NULL, "stallCanaryStart(thresholdMs, priority)");
    return NULL;
  }
  if (atomic_load(&C.run)) {
    napi_throw_error(env, NULL, "stallCanaryStart: already running");
    return NULL;
  }
  if (!C.ring && !(C.ring = calloc(CANARY_RING, sizeof *C.ring))) {
    napi_throw_error(env, NULL, "stallCanaryStart: out of memory");
    return NULL;
  }
  C.threshold_ms = thr;
  C.priority = prio;
  C.head = C.count = C.lost = 0;
  C.wakeups = 0;
  C.rt_failed = 0;
  atomic_store(&C.run, 1);
  C.n = sysio_pinned_start(C.threads, CANARY_MAX_CPUS, canary_main, NULL, NULL);
  napi_create_int32(env, C.n, &out);
  return out;
}

/* stallCanaryRead() -> { stalls: [{cpu, startMs, durationMs}], lost, wakeups, rtFailed }; empties the ring. */
static napi_value js_canary_read(napi_env env, napi_callback_info info) {
  napi_value out, arr, v;
  pthread_mutex_lock(&C.mu);
  size_t n = C.count;
  stall_t *copy = n ? malloc(n * sizeof *copy) : NULL;
  for (size_t i = 0; copy && i < n; i++) copy[i] = C.ring[(C.head + i) % CANARY_RING];
  size_t lost = C.lost;
  double wakeups = (double)C.wakeups;
  int rtf = C.rt_failed;
  C.head = C.count = C.lost = 0;
  pthread_mutex_unlock(&C.mu);
  if (n && !copy) n = 0;
  napi_create_object(env, &out);
  napi_create_array_with_length(env, n, &arr);
  for (size_t i = 0; i < n; i++) {
    napi_value o;
    napi_create_object(env, &o);
    napi_create_int32(env, copy[i].cpu, &v);
    napi_set_named_property(env, o, "cpu", v);
    napi_create_double(env, copy[i].start_ms, &v);
    napi_set_named_property(env, o, "startMs", v);
    napi_create_double(env, copy[i].dur_ms, &v);
    napi_set_named_property(env, o, "durationMs", v);
    napi_set_element(env, arr, (uint32_t)i, o);
  }
  free(copy);
  napi_set_named_property(env, out, "stalls", arr);
  napi_create_double(env, (double)lost, &v);
  napi_set_named_property(env, out, "lost", v);
  napi_create_double(env, wakeups, &v);
  napi_set_named_property(env, out, "wakeups", v);
  napi_create_int32(env, rtf, &v);
  napi_set_named_property(env, out, "rtFailed", v);
  return out;
}

/* stallCanaryStop(): stops and joins the threads. Idempotent. */
static napi_value js_canary_stop(napi_env env, napi_callback_info info) {
  if (!atomic_exchange(&C.run, 0)) return NULL;
  sysio_pinned_join(C.threads, C.n);
  C.n = 0;
  return NULL;
}

/* clockMs(clockId) -> clock_gettime(clockId) in ms (a double: sub-microsecond resolution). */
static napi_value js_clock_ms(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  int32_t id = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, argv[0], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "clockMs(clockId)");
    return NULL;
  }
  struct timespec t;
  if (clock_gettime((clockid_t)id, &t) != 0) {
    napi_throw_error(env, "EINVAL", "clockMs: clock_gettime failed");
    return NULL;
  }
  napi_create_double(env, ts_ms(&t), &out);
  return out;
}

/* Adds stallCanaryStart/Read/Stop and clockMs to `exports`. */
void sysio_canary_init(napi_env env, napi_value exports) {
  static const sysio_fn_t fns[] = {
    {"stallCanaryStart", js_canary_start},
    {"stallCanaryRead", js_canary_read},
    {"stallCanaryStop", js_canary_stop},
    {"clockMs", js_clock_ms},
  };
  SYSIO_EXPORT(env, exports, fns);
}
