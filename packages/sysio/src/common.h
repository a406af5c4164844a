/*
 * What the addon's C files share: exporting functions to JavaScript, and starting one pinned thread per CPU.
 */
#ifndef SYSIO_COMMON_H
#define SYSIO_COMMON_H

#include <pthread.h>
#include <stddef.h>
#include <node_api.h>

/* One JavaScript function of the addon: its name on `exports` and its C callback. */
typedef struct {
  const char *name;
  napi_callback fn;
} sysio_fn_t;

/* Defines `fns` (n of them) on `exports`, enumerable. */
void sysio_export(napi_env env, napi_value exports, const sysio_fn_t *fns, size_t n);

/* Exports a static array of sysio_fn_t. */
#define SYSIO_EXPORT(env, exports, fns) sysio_export((env), (exports), (fns), sizeof(fns) / sizeof((fns)[0]))

/* One thread of a pinned set: the CPU it is pinned to, its handle, and the caller's context. */
typedef struct {
  int cpu;
  pthread_t th;
  void *ctx;
} sysio_pinned_t;

/*
 * Starts `main(&slots[i])` on each CPU of the calling thread's affinity mask, at most `max` threads, each pinned to
 * its CPU before it runs (pthread attribute) and named `name` when not NULL. Returns how many started (0 .. max);
 * slots[0 .. that) are filled in.
 */
int sysio_pinned_start(sysio_pinned_t *slots, int max, void *(*main)(void *slot), void *ctx, const char *name);

/* Joins `n` threads started by sysio_pinned_start. */
void sysio_pinned_join(sysio_pinned_t *slots, int n);

#endif
