/**
 * Process exit codes.
 *
 * Exit codes are keepalived's (`lib/scheduler.h enum exit_code`, and `main.c config_test_exit` for `-t`),
 * so init systems and scripts that check them keep working.
 */

/** Daemon exit statuses, as keepalived 2.2.7. */
export const ExitCode = {
  OK: 0,
  FATAL: 1,
  CONFIG: 2,
  MISSING_PERMISSION: 4,
  NO_CONFIG: 6,
  PROGRAM_ERROR: 70,
  NO_MEMORY: 204,
} as const;

/** `--config-test` exit statuses, as keepalived 2.2.7 (`config_test_exit`). */
export const ConfigTestExit = {
  OK: 0,
  /** File not found, bad interface, fatal error. */
  FATAL: 4,
  /** Configuration errors that keepalived tolerates (e.g. auth_pass truncated). */
  ERRORS: 5,
  /** Scripts configured without enable_script_security. */
  SCRIPT_SECURITY: 6,
} as const;
