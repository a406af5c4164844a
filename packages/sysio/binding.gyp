{
  "targets": [
    {
      "target_name": "sysio",
      "sources": ["src/sysio.c", "src/common.c", "src/canary.c", "src/watchdog.c"],
      "cflags": ["-Wall", "-Wextra", "-O2", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
