/*
 * The addon's shared C helpers (see common.h): the export table, and the per-CPU pinned threads that both the
 * stall canary (canary.c) and the advert watchdog (watchdog.c) run.
 */
#include <sched.h>
#include "common.h"

void sysio_export(napi_env env, napi_value exports, const sysio_fn_t *fns, size_t n) {
  napi_property_descriptor props[64];
  while (n > 0) {
    size_t k = n < 64 ? n : 64;
    for (size_t i = 0; i < k; i++)
      props[i] = (napi_property_descriptor){fns[i].name, NULL, fns[i].fn, NULL, NULL, NULL, napi_enumerable, NULL};
    napi_define_properties(env, exports, k, props);
    fns += k;
    n -= k;
  }
}

int sysio_pinned_start(sysio_pinned_t *slots, int max, void *(*main)(void *slot), void *ctx, const char *name) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
  int n = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    sysio_pinned_t *s = &slots[n];
    s->cpu = cpu;
    s->ctx = ctx;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) break;
    pthread_attr_setaffinity_np(&attr, sizeof one, &one);
    int rc = pthread_create(&s->th, &attr, main, s);
    pthread_attr_destroy(&attr);
    if (rc != 0) continue;
    if (name) pthread_setname_np(s->th, name); /* as /proc/PID/task/TID/comm shows it */
    n++;
  }
  return n;
}

void sysio_pinned_join(sysio_pinned_t *slots, int n) {
  for (int i = 0; i < n; i++) pthread_join(slots[i].th, NULL);
}
